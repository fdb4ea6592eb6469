package io.linkly.iii.engine.metrics;

import java.math.BigDecimal;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes the Prometheus text exposition format, version 0.0.4: per family a {@code # HELP} and a
 * {@code # TYPE} line, then its samples. Names and label names are checked, label values and help
 * texts escaped, so that a function id or queue name from a worker can never break the format.
 * A family name written a second time is ignored with all its samples (the first one wins).
 */
public final class MetricWriter {

  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  /** The kinds of family this writer emits. */
  public enum Type {
    COUNTER,
    GAUGE,
    HISTOGRAM;

    String text() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final StringBuilder out = new StringBuilder(4096);
  private final Set<String> written = new HashSet<>();
  private String family;
  private boolean skipping;

  static void checkName(String name) {
    if (name == null || !METRIC_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a valid metric name: " + name);
    }
  }

  static void checkLabelName(String name) {
    if (name == null || !LABEL_NAME.matcher(name).matches() || name.startsWith("__")) {
      throw new IllegalArgumentException("not a valid label name: " + name);
    }
  }

  /**
   * Starts a family; false when one of that name was already written, in which case the samples
   * that follow are dropped until the next family.
   */
  public boolean family(String name, String help, Type type) {
    checkName(name);
    if (!written.add(name)) {
      skipping = true;
      return false;
    }
    skipping = false;
    family = name;
    out.append("# HELP ").append(name).append(' ');
    escapeHelp(help == null ? "" : help);
    out.append('\n').append("# TYPE ").append(name).append(' ').append(type.text()).append('\n');
    return true;
  }

  /** A sample of the current family; {@code labels} alternate names and values. */
  public void sample(String name, long value, String... labels) {
    if (startSample(name, labels)) {
      out.append(value).append('\n');
    }
  }

  public void sample(String name, double value, String... labels) {
    if (startSample(name, labels)) {
      out.append(number(value)).append('\n');
    }
  }

  /**
   * The samples of one histogram series: {@code _bucket} per bound (cumulative) and +Inf, then
   * {@code _sum} and {@code _count}; {@code labels} are the series' own, {@code le} is added.
   */
  public void histogram(String name, Histogram.Snapshot snapshot, String... labels) {
    String[] withLe = new String[labels.length + 2];
    System.arraycopy(labels, 0, withLe, 0, labels.length);
    withLe[labels.length] = "le";
    double[] bounds = snapshot.bounds();
    long[] cumulative = snapshot.cumulative();
    for (int i = 0; i < cumulative.length; i++) {
      withLe[labels.length + 1] = i < bounds.length ? number(bounds[i]) : "+Inf";
      sample(name + "_bucket", cumulative[i], withLe);
    }
    sample(name + "_sum", snapshot.sumSeconds(), labels);
    sample(name + "_count", snapshot.count(), labels);
  }

  private boolean startSample(String name, String[] labels) {
    if (skipping) {
      return false;
    }
    if (family == null || !name.startsWith(family)) {
      throw new IllegalStateException("sample " + name + " outside its family (current: " + family + ")");
    }
    if (labels.length % 2 != 0) {
      throw new IllegalArgumentException("labels must come in name/value pairs");
    }
    out.append(name);
    if (labels.length > 0) {
      out.append('{');
      for (int i = 0; i < labels.length; i += 2) {
        checkLabelName(labels[i]);
        if (i > 0) {
          out.append(',');
        }
        out.append(labels[i]).append("=\"");
        escapeLabelValue(labels[i + 1] == null ? "" : labels[i + 1]);
        out.append('"');
      }
      out.append('}');
    }
    out.append(' ');
    return true;
  }

  private void escapeHelp(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
  }

  private void escapeLabelValue(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
  }

  /** Go's float syntax, which every Prometheus parser reads: {@code +Inf}, {@code NaN}, plain decimals. */
  static String number(double value) {
    if (Double.isNaN(value)) {
      return "NaN";
    }
    if (Double.isInfinite(value)) {
      return value > 0 ? "+Inf" : "-Inf";
    }
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return Long.toString((long) value);
    }
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
