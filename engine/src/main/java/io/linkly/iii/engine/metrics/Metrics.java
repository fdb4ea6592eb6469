package io.linkly.iii.engine.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's metrics, scraped as Prometheus text ({@code GET /metrics} on the worker port). The
 * engine and its built-in workers register theirs; an application running the engine in-process
 * adds its own the same way:
 *
 * <pre>{@code
 * engine.metrics().counter("linkly_clicks_dropped_total", "Clicks not recorded", links::droppedClicks);
 * engine.metrics().gauge("linkly_dashboards", "Open dashboards", dashboards::size);
 * }</pre>
 *
 * <p>Values are read when scraped (suppliers, adders), so updating a metric costs its owner
 * nothing beyond its own counter. Several registrations may share a family name with different
 * labels (one per queue, say); registering the same name and labels twice, or one name as two
 * types, is refused. Counter names end in {@code _total}.
 */
public final class Metrics {

  private static final Logger log = LoggerFactory.getLogger(Metrics.class);

  private record Series(Map<String, String> labels, LongSupplier value) {}

  private record Family(String name, String help, MetricWriter.Type type, List<Series> series) {}

  private final Map<String, Family> families = new ConcurrentHashMap<>();
  private final List<Collector> collectors = new CopyOnWriteArrayList<>();
  private final Map<Class<?>, Boolean> warnedCollectors = new ConcurrentHashMap<>();
  private volatile boolean enabled = true;

  /** A counter this registry holds; bump it with {@link Counter#increment()}. */
  public Counter counter(String name, String help) {
    Counter counter = new Counter();
    add(name, help, MetricWriter.Type.COUNTER, Map.of(), counter::value);
    return counter;
  }

  /** A counter whose value its owner keeps (an adder, an atomic), read at each scrape. */
  public Registration counter(String name, String help, LongSupplier value) {
    return counter(name, help, Map.of(), value);
  }

  public Registration counter(String name, String help, Map<String, String> labels, LongSupplier value) {
    return add(name, help, MetricWriter.Type.COUNTER, labels, value);
  }

  /** A value that goes up and down (connections, queue depth), read at each scrape. */
  public Registration gauge(String name, String help, LongSupplier value) {
    return gauge(name, help, Map.of(), value);
  }

  public Registration gauge(String name, String help, Map<String, String> labels, LongSupplier value) {
    return add(name, help, MetricWriter.Type.GAUGE, labels, value);
  }

  /** Families whose series are only known at scrape time (one per function, per queue). */
  public Registration collector(Collector collector) {
    collectors.add(collector);
    return () -> collectors.remove(collector);
  }

  /** Whether {@code GET /metrics} answers (the observability worker's {@code metrics_enabled}). */
  public boolean enabled() {
    return enabled;
  }

  public void enabled(boolean value) {
    enabled = value;
  }

  private Registration add(String name, String help, MetricWriter.Type type, Map<String, String> labels, LongSupplier value) {
    MetricWriter.checkName(name);
    if (type == MetricWriter.Type.COUNTER && !name.endsWith("_total")) {
      throw new IllegalArgumentException("a counter's name ends in _total: " + name);
    }
    Map<String, String> sorted = new TreeMap<>(labels);
    sorted.keySet().forEach(MetricWriter::checkLabelName);
    Series series = new Series(Map.copyOf(sorted), value);
    families.compute(
        name,
        (key, family) -> {
          if (family == null) {
            family = new Family(name, help, type, new CopyOnWriteArrayList<>());
          } else if (family.type() != type) {
            throw new IllegalArgumentException(name + " is already a " + family.type().name().toLowerCase(java.util.Locale.ROOT));
          } else if (family.series().stream().anyMatch(s -> s.labels().equals(series.labels()))) {
            throw new IllegalArgumentException(name + sorted + " is already registered");
          }
          family.series().add(series);
          return family;
        });
    return () ->
        families.computeIfPresent(
            name,
            (key, family) -> {
              family.series().remove(series);
              return family.series().isEmpty() ? null : family;
            });
  }

  /**
   * Every metric as Prometheus text. Collectors run here, on the caller's thread (which may
   * therefore block briefly); one that fails is left out of this scrape and logged once.
   */
  public String scrape() {
    MetricWriter out = new MetricWriter();
    for (Family family : new TreeMap<>(families).values()) {
      List<Series> series = new ArrayList<>(family.series());
      if (series.isEmpty()) {
        continue;
      }
      out.family(family.name(), family.help(), family.type());
      for (Series s : series) {
        long value;
        try {
          value = s.value().getAsLong();
        } catch (RuntimeException e) {
          continue; // a supplier that cannot answer now: the series is absent from this scrape
        }
        String[] labels = new String[s.labels().size() * 2];
        int i = 0;
        for (Map.Entry<String, String> label : new TreeMap<>(s.labels()).entrySet()) {
          labels[i++] = label.getKey();
          labels[i++] = label.getValue();
        }
        out.sample(family.name(), value, labels);
      }
    }
    for (Collector collector : collectors) {
      try {
        collector.collect(out);
      } catch (RuntimeException e) {
        if (warnedCollectors.putIfAbsent(collector.getClass(), Boolean.TRUE) == null) {
          log.warn("a metrics collector failed; its metrics are left out of scrapes while it fails", e);
        }
      }
    }
    return out.toString();
  }
}
