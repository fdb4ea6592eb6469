package io.linkly.app.importer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an import did, as {@code bulk-importer::import_csv} answers it ({@link #toResult}):
 *
 * <pre>
 * {imported, committed, mode, rows, skipped_count, skipped: [{line, code, reason}], error?}
 * </pre>
 *
 * {@code rows} counts the data records read (not the header, not blank lines). Only the first
 * {@code maxListed} skipped rows are listed, so that a file of garbage cannot blow up the reply;
 * {@code skipped_count} counts them all. {@code error} ({@code {code, message, line?}}) says why
 * the import stopped before the end of the file (rows before it stay imported in best effort), or
 * why a committed all-or-nothing import could not announce all its links.
 */
public final class ImportReport {

  private final ImportMode mode;
  private final int maxListed;
  private final List<SkippedRow> skipped = new ArrayList<>();
  private long rows;
  private long imported;
  private long skippedCount;
  private boolean committed = true;
  private Map<String, Object> error;

  ImportReport(ImportMode mode, int maxListed) {
    this.mode = mode;
    this.maxListed = maxListed;
  }

  void rowRead() {
    rows++;
  }

  void imported(long n) {
    imported += n;
  }

  void skip(long line, String code, String reason) {
    skippedCount++;
    if (skipped.size() < maxListed) {
      skipped.add(new SkippedRow(line, code, reason));
    }
  }

  /** The import stopped early; {@code line} is null when no line is to blame. */
  void stopped(String code, String message, Long line) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("code", code);
    e.put("message", message);
    if (line != null) {
      e.put("line", line);
    }
    error = e;
  }

  /** Nothing of the import stayed: its transaction was rolled back. */
  void rolledBack() {
    committed = false;
    imported = 0;
  }

  public ImportMode mode() {
    return mode;
  }

  public long rows() {
    return rows;
  }

  public long imported() {
    return imported;
  }

  public long skippedCount() {
    return skippedCount;
  }

  /**
   * The first skipped rows found, in line order (a duplicate shows when its batch is inserted,
   * after the rows of that batch that were refused on reading).
   */
  public List<SkippedRow> skipped() {
    List<SkippedRow> ordered = new ArrayList<>(skipped);
    ordered.sort(Comparator.comparingLong(SkippedRow::line));
    return Collections.unmodifiableList(ordered);
  }

  /** False when an all-or-nothing import was rolled back. */
  public boolean committed() {
    return committed;
  }

  /** True when the import stopped before the end of the file. */
  public boolean stoppedEarly() {
    return error != null;
  }

  /** The reply of {@code bulk-importer::import_csv}. */
  public Map<String, Object> toResult() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("imported", imported);
    out.put("committed", committed);
    out.put("mode", mode.wireName());
    out.put("rows", rows);
    out.put("skipped_count", skippedCount);
    List<Map<String, Object>> listed = new ArrayList<>(skipped.size());
    for (SkippedRow row : skipped()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("line", row.line());
      entry.put("code", row.code());
      entry.put("reason", row.reason());
      listed.add(entry);
    }
    out.put("skipped", listed);
    if (error != null) {
      out.put("error", error);
    }
    return out;
  }
}
