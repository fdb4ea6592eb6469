package io.linkly.app.importer;

import io.linkly.iii.sdk.IiiException;
import java.util.Locale;

/** How an import treats the rows it skips. */
public enum ImportMode {
  /** Every good row is imported, batch by batch; skipped rows are only reported. */
  BEST_EFFORT("best_effort"),
  /** One transaction: a single skipped row rolls everything back, and nothing is announced. */
  ALL_OR_NOTHING("all_or_nothing");

  public static final String INVALID = "INVALID_MODE";

  private final String wireName;

  ImportMode(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /** The {@code mode} of {@code bulk-importer::import_csv}; absent means best effort. */
  public static ImportMode parse(String mode) {
    if (mode == null || mode.isEmpty()) {
      return BEST_EFFORT;
    }
    for (ImportMode m : values()) {
      if (m.wireName.equals(mode.toLowerCase(Locale.ROOT))) {
        return m;
      }
    }
    throw new IiiException(INVALID, "\"mode\" must be best_effort or all_or_nothing");
  }
}
