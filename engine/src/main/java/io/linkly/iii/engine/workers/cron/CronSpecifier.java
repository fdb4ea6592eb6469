package io.linkly.iii.engine.workers.cron;

/**
 * One comma-separated part of a cron field as written, before it is checked against the field's
 * bounds: {@code *} (or {@code ?}), {@code 5}, {@code 1-5}, {@code MON-FRI}, {@code MON},
 * {@code START/STEP}. Numbers are kept as written (up to 2^32-1), so the check can name the value
 * the user typed.
 */
sealed interface CronSpecifier {

  CronSpecifier ALL = new All();

  /** {@code *}, or {@code ?} in the day fields. */
  record All() implements CronSpecifier {}

  record Point(long value) implements CronSpecifier {}

  record Range(long start, long end) implements CronSpecifier {}

  record NamedRange(String start, String end) implements CronSpecifier {}

  /** A name on its own ({@code MON}, {@code jan}); it cannot start a period. */
  record NamedPoint(String name) implements CronSpecifier {}

  /**
   * {@code START/STEP}: every STEP-th value of START, where START is {@code *}, a range, or a
   * number meaning "from here to the field's maximum".
   */
  record Period(CronSpecifier start, long step) implements CronSpecifier {}
}
