package io.linkly.app.stats;

import io.linkly.app.Timestamps;
import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.sdk.IiiException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The clicks a statistics request covers: {@code from} (inclusive) up to {@code to} (exclusive),
 * either open. Both are kept in the form {@code clicks.clicked_at} is written in, so comparing
 * the text is comparing the instants and the {@code (code, clicked_at)} index serves the range.
 */
public record StatsRange(String from, String to) {

  public static final String INVALID = "INVALID_RANGE";
  public static final StatsRange ALL_TIME = new StatsRange(null, null);

  /** Four-digit years only: a fifth digit (or a sign) would break the text order. */
  private static final Instant EARLIEST = Instant.parse("0000-01-01T00:00:00Z");
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

  /**
   * The range of a request's {@code from} and {@code to}: each an ISO-8601 instant
   * ({@code 2026-12-05T09:00:00Z}, an offset allowed) or a date ({@code 2026-12-05}, that day's
   * start in UTC); missing, null or empty is open. Throws {@value #INVALID} naming the problem.
   */
  public static StatsRange of(JsonNode from, JsonNode to) {
    StatsRange range = new StatsRange(bound("from", from), bound("to", to));
    if (range.from != null && range.to != null && range.from.compareTo(range.to) >= 0) {
      throw new IiiException(INVALID, "from (" + range.from + ") must be before to (" + range.to + ")");
    }
    return range;
  }

  private static String bound(String name, JsonNode value) {
    if (value == null || value.isNull() || value.isMissingNode() || (value.isTextual() && value.textValue().isEmpty())) {
      return null;
    }
    if (!value.isTextual()) {
      throw new IiiException(INVALID, name + " must be a string: an ISO-8601 instant (2026-12-05T09:00:00Z) or date (2026-12-05)");
    }
    String text = value.textValue();
    Instant at;
    try {
      at = text.length() == 10 ? LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(text);
    } catch (DateTimeException e) {
      throw new IiiException(
          INVALID, name + " is neither an ISO-8601 instant (2026-12-05T09:00:00Z) nor a date (2026-12-05): '" + shortened(text) + "'");
    }
    if (at.isBefore(EARLIEST) || at.isAfter(LATEST)) {
      throw new IiiException(INVALID, name + " must be within the years 0000 to 9999: '" + shortened(text) + "'");
    }
    // clicks are stamped to the millisecond: a finer bound rounds up, which keeps both ends exact
    Instant millis = at.truncatedTo(ChronoUnit.MILLIS);
    return Timestamps.format(millis.equals(at) ? millis : millis.plusMillis(1));
  }

  /** A rejected value goes back in an error message: never a whole megabyte of it. */
  private static String shortened(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "…";
  }

  /** The SQL condition on a click row of link {@code ?}: {@code code = ?}, then each bound present. */
  String where() {
    return "code = ?" + (from == null ? "" : " AND clicked_at >= ?") + (to == null ? "" : " AND clicked_at < ?");
  }

  /** The parameters of {@link #where} for {@code code}. */
  List<Object> params(String code) {
    List<Object> params = new ArrayList<>(3);
    params.add(code);
    if (from != null) {
      params.add(from);
    }
    if (to != null) {
      params.add(to);
    }
    return params;
  }
}
