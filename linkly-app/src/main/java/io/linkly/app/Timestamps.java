package io.linkly.app;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The one form every time Linkly stores has: ISO-8601 UTC with exactly three fraction digits
 * ({@code 2026-12-05T10:00:00.000Z}). Always three, because the columns are compared and sorted as
 * text: {@code ISO_INSTANT} leaves the fraction out at a whole millisecond-free second, and
 * {@code …:00Z} sorts after {@code …:00.500Z}.
 */
public final class Timestamps {

  private static final DateTimeFormatter STORED = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Timestamps() {}

  public static String format(Instant instant) {
    return STORED.format(instant);
  }

  public static String now(Clock clock) {
    return format(clock.instant());
  }
}
