package io.linkly.iii.engine.workers.cron;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * UTC times written as upstream writes them (chrono's {@code to_rfc3339}): offset {@code +00:00},
 * never {@code Z}, and a fraction only when there is one, with 3, 6 or 9 digits, whichever is the
 * shortest exact one. A cron {@code scheduled_time} is a whole second, so it has none.
 */
final class Rfc3339 {

  private Rfc3339() {}

  static String format(Instant instant) {
    LocalDateTime t = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), instant.getNano(), ZoneOffset.UTC);
    StringBuilder out = new StringBuilder(35);
    out.append(String.format(Locale.ROOT, "%04d-%02d-%02dT%02d:%02d:%02d",
        t.getYear(), t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond()));
    int nanos = t.getNano();
    if (nanos != 0) {
      if (nanos % 1_000_000 == 0) {
        out.append(String.format(Locale.ROOT, ".%03d", nanos / 1_000_000));
      } else if (nanos % 1_000 == 0) {
        out.append(String.format(Locale.ROOT, ".%06d", nanos / 1_000));
      } else {
        out.append(String.format(Locale.ROOT, ".%09d", nanos));
      }
    }
    return out.append("+00:00").toString();
  }
}
