package io.linkly.iii.engine.workers.cron;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.BitSet;
import java.util.Optional;

/**
 * A cron schedule, read as upstream iii reads it (the Rust {@code cron} 0.15 crate):
 * {@code sec min hour day-of-month month day-of-week [year]}, seconds required, day of week 1–7
 * with Sunday = 1 (or {@code SUN}–{@code SAT}), years 1970–2100, always in UTC. A time matches when
 * every field matches, day of month and day of week alike (not the classic crontab's "either").
 */
public final class CronExpression {

  private final String text;
  private final BitSet seconds;
  private final BitSet minutes;
  private final BitSet hours;
  private final BitSet daysOfMonth;
  private final BitSet months;
  private final BitSet daysOfWeek;
  private final BitSet years;

  CronExpression(
      String text,
      BitSet seconds,
      BitSet minutes,
      BitSet hours,
      BitSet daysOfMonth,
      BitSet months,
      BitSet daysOfWeek,
      BitSet years) {
    this.text = text;
    this.seconds = seconds;
    this.minutes = minutes;
    this.hours = hours;
    this.daysOfMonth = daysOfMonth;
    this.months = months;
    this.daysOfWeek = daysOfWeek;
    this.years = years;
  }

  public static CronExpression parse(String text) throws InvalidCronExpressionException {
    return CronSyntax.read(text);
  }

  /**
   * The first matching whole second strictly after {@code after}'s second (so a time that is itself
   * a match is not returned again); empty when the schedule has no time left before 2101.
   */
  public Optional<Instant> next(Instant after) {
    LocalDateTime t = LocalDateTime.ofEpochSecond(after.getEpochSecond() + 1, 0, ZoneOffset.UTC);
    while (t.getYear() <= CronField.YEARS.max) {
      int year = t.getYear();
      if (!years.get(year)) {
        int nextYear = years.nextSetBit(year);
        if (nextYear < 0) {
          break;
        }
        t = LocalDate.of(nextYear, 1, 1).atStartOfDay();
        continue;
      }
      int month = t.getMonthValue();
      if (!months.get(month)) {
        int nextMonth = months.nextSetBit(month);
        t = nextMonth < 0 ? LocalDate.of(year + 1, 1, 1).atStartOfDay() : LocalDate.of(year, nextMonth, 1).atStartOfDay();
        continue;
      }
      if (!daysOfMonth.get(t.getDayOfMonth()) || !daysOfWeek.get(numberFromSunday(t.getDayOfWeek()))) {
        t = t.toLocalDate().plusDays(1).atStartOfDay();
        continue;
      }
      int hour = t.getHour();
      if (!hours.get(hour)) {
        int nextHour = hours.nextSetBit(hour);
        t = nextHour < 0 ? t.toLocalDate().plusDays(1).atStartOfDay() : t.toLocalDate().atTime(nextHour, 0);
        continue;
      }
      int minute = t.getMinute();
      if (!minutes.get(minute)) {
        int nextMinute = minutes.nextSetBit(minute);
        t = nextMinute < 0 ? t.toLocalDate().atTime(hour, 0).plusHours(1) : t.toLocalDate().atTime(hour, nextMinute);
        continue;
      }
      int second = t.getSecond();
      if (!seconds.get(second)) {
        int nextSecond = seconds.nextSetBit(second);
        t = nextSecond < 0
            ? t.toLocalDate().atTime(hour, minute).plusMinutes(1)
            : t.toLocalDate().atTime(hour, minute, nextSecond);
        continue;
      }
      return Optional.of(t.toInstant(ZoneOffset.UTC));
    }
    return Optional.empty();
  }

  /** The crate's numbering: Sunday 1, Monday 2, … Saturday 7. */
  private static int numberFromSunday(DayOfWeek day) {
    return day.getValue() % 7 + 1;
  }

  /** The expression as written. */
  @Override
  public String toString() {
    return text;
  }
}
