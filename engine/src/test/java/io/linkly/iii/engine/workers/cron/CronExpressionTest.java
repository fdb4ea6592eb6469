package io.linkly.iii.engine.workers.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Cron expressions as upstream's Rust {@code cron} 0.15 crate reads them: what parses, what the
 * next firings are (UTC), and the errors. Several cases are the crate's own tests.
 */
class CronExpressionTest {

  private static CronExpression parse(String text) throws InvalidCronExpressionException {
    return CronExpression.parse(text);
  }

  /** The next {@code count} firings strictly after {@code after}, as ISO instants. */
  private static List<String> firings(String expression, String after, int count) throws Exception {
    CronExpression cron = parse(expression);
    List<String> out = new ArrayList<>();
    Instant t = Instant.parse(after);
    for (int i = 0; i < count; i++) {
      Optional<Instant> next = cron.next(t);
      if (next.isEmpty()) {
        break;
      }
      t = next.get();
      out.add(t.toString());
    }
    return out;
  }

  private static String next(String expression, String after) throws Exception {
    return parse(expression).next(Instant.parse(after)).map(Instant::toString).orElse("none");
  }

  private static String error(String expression) {
    try {
      parse(expression);
    } catch (InvalidCronExpressionException e) {
      return e.getMessage();
    }
    throw new AssertionError("accepted: " + expression);
  }

  @Test
  void everySecondFiresOnTheNextWholeSecondStrictlyAfter() throws Exception {
    assertThat(firings("* * * * * *", "2026-03-01T10:00:00Z", 3))
        .containsExactly("2026-03-01T10:00:01Z", "2026-03-01T10:00:02Z", "2026-03-01T10:00:03Z");
    assertThat(next("* * * * * *", "2026-03-01T10:00:00.999Z")).isEqualTo("2026-03-01T10:00:01Z");
    assertThat(next("* * * * * *", "2026-12-31T23:59:59.5Z")).isEqualTo("2027-01-01T00:00:00Z");
    assertThat(firings("* * * * * * *", "2026-03-01T10:00:00Z", 1)).containsExactly("2026-03-01T10:00:01Z");
  }

  @Test
  void stepsRangesAndLists() throws Exception {
    assertThat(firings("*/5 * * * * *", "2026-03-01T10:00:03Z", 3))
        .containsExactly("2026-03-01T10:00:05Z", "2026-03-01T10:00:10Z", "2026-03-01T10:00:15Z");
    assertThat(next("*/5 * * * * *", "2026-03-01T10:00:58Z")).isEqualTo("2026-03-01T10:01:00Z");
    assertThat(firings("0 */5 * * * *", "2026-03-01T10:57:00Z", 2))
        .as("the README's every five minutes, seconds first").containsExactly("2026-03-01T11:00:00Z", "2026-03-01T11:05:00Z");
    assertThat(firings("10/20 * * * * *", "2026-03-01T10:00:31Z", 3))
        .as("N/step runs from N to the field's end").containsExactly("2026-03-01T10:00:50Z", "2026-03-01T10:01:10Z", "2026-03-01T10:01:30Z");
    assertThat(firings("0 0 9-17 * * *", "2026-03-01T16:30:00Z", 3))
        .containsExactly("2026-03-01T17:00:00Z", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z");
    assertThat(firings("0 0 10-12/2 * * ?", "2020-01-01T00:00:00Z", 3))
        .containsExactly("2020-01-01T10:00:00Z", "2020-01-01T12:00:00Z", "2020-01-02T10:00:00Z");
    assertThat(firings("0,20,40 * * * * *", "2026-03-01T10:00:20Z", 3))
        .containsExactly("2026-03-01T10:00:40Z", "2026-03-01T10:01:00Z", "2026-03-01T10:01:20Z");
    assertThat(firings("0-5,58 * * * * *", "2026-03-01T10:00:04Z", 3))
        .containsExactly("2026-03-01T10:00:05Z", "2026-03-01T10:00:58Z", "2026-03-01T10:01:00Z");
    assertThat(firings("*/17 * * * * ?", "2020-01-01T00:00:00Z", 4))
        .containsExactly("2020-01-01T00:00:17Z", "2020-01-01T00:00:34Z", "2020-01-01T00:00:51Z", "2020-01-01T00:01:00Z");
    assertThat(firings("0/20 0/5 0 1 1 * *", "2017-06-15T14:29:36Z", 4)).as("the crate's step test")
        .containsExactly("2018-01-01T00:00:00Z", "2018-01-01T00:00:20Z", "2018-01-01T00:00:40Z", "2018-01-01T00:05:00Z");
    assertThat(firings("0, 30 * * * * *", "2026-03-01T10:00:00Z", 2)).as("space after a comma")
        .containsExactly("2026-03-01T10:00:30Z", "2026-03-01T10:01:00Z");
  }

  @Test
  void dayOfWeekRunsFromSundayOneToSaturdaySevenByNumberOrName() throws Exception {
    // 2026-03-02 is a Monday, 2026-03-07 a Saturday, 2026-03-08 a Sunday.
    assertThat(next("0 0 0 * * 1", "2026-03-02T00:00:00Z")).isEqualTo("2026-03-08T00:00:00Z");
    assertThat(next("0 0 0 * * SUN", "2026-03-02T00:00:00Z")).isEqualTo("2026-03-08T00:00:00Z");
    assertThat(next("0 0 0 * * sunday", "2026-03-02T00:00:00Z")).isEqualTo("2026-03-08T00:00:00Z");
    assertThat(next("0 0 0 * * 7", "2026-03-02T00:00:00Z")).isEqualTo("2026-03-07T00:00:00Z");
    assertThat(next("0 0 0 * * SAT", "2026-03-02T00:00:00Z")).isEqualTo("2026-03-07T00:00:00Z");
    assertThat(next("0 0 0 * * 2", "2026-03-01T12:00:00Z")).isEqualTo("2026-03-02T00:00:00Z");
    assertThat(firings("0 0 12 * * MON-FRI", "2026-03-06T13:00:00Z", 2))
        .as("Friday afternoon: the next weekday noon is Monday's").containsExactly("2026-03-09T12:00:00Z", "2026-03-10T12:00:00Z");
    assertThat(firings("0 0 12 * * 2-6", "2026-03-06T13:00:00Z", 1)).containsExactly("2026-03-09T12:00:00Z");
    assertThat(firings("0 0 0 * * Mon,Wed,Fri", "2026-03-02T00:00:00Z", 3))
        .containsExactly("2026-03-04T00:00:00Z", "2026-03-06T00:00:00Z", "2026-03-09T00:00:00Z");
    assertThat(next("0 0 0 * * Tues", "2026-03-02T00:00:00Z")).isEqualTo("2026-03-03T00:00:00Z");
    assertThat(next("0 0 0 * * thurs", "2026-03-02T00:00:00Z")).isEqualTo("2026-03-05T00:00:00Z");
    assertThat(firings("0 0 0 * * Mon-Thurs/2", "2026-03-01T00:00:00Z", 3)).as("Monday and Wednesday")
        .containsExactly("2026-03-02T00:00:00Z", "2026-03-04T00:00:00Z", "2026-03-09T00:00:00Z");
  }

  @Test
  void dayOfMonthAndDayOfWeekMustBothMatch() throws Exception {
    assertThat(next("0 0 0 13 * FRI", "2026-01-01T00:00:00Z")).as("Friday the 13th").isEqualTo("2026-02-13T00:00:00Z");
    assertThat(next("0 0 0 ? * *", "2020-09-17T00:00:00Z")).isEqualTo("2020-09-18T00:00:00Z");
    assertThat(next("0 0 0 * * ?", "2020-09-17T00:00:00Z")).isEqualTo("2020-09-18T00:00:00Z");
    assertThat(firings("0 0 0 1-31/10 * ?", "2020-01-01T00:00:00Z", 4))
        .containsExactly("2020-01-11T00:00:00Z", "2020-01-21T00:00:00Z", "2020-01-31T00:00:00Z", "2020-02-01T00:00:00Z");
  }

  @Test
  void monthEndsLeapDaysAndMonthNames() throws Exception {
    assertThat(firings("0 0 0 29 2 *", "2026-03-01T00:00:00Z", 2)).containsExactly("2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z");
    assertThat(firings("0 0 0 29 2 *", "2099-03-01T00:00:00Z", 1)).as("2100 is not a leap year; 2100 is the last year").isEmpty();
    assertThat(firings("0 0 0 30 2 *", "2026-01-01T00:00:00Z", 1)).as("there is no February 30").isEmpty();
    assertThat(firings("0 0 0 31 * *", "2026-04-01T00:00:00Z", 2)).containsExactly("2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z");
    assertThat(firings("59 59 23 28-31 * *", "2026-02-27T00:00:00Z", 2))
        .containsExactly("2026-02-28T23:59:59Z", "2026-03-28T23:59:59Z");
    assertThat(firings("0 0 0 1 JAN,jul *", "2026-02-01T00:00:00Z", 2)).containsExactly("2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z");
    assertThat(firings("0 0 0 1 January-April/2 ?", "2020-01-01T00:00:00Z", 3))
        .containsExactly("2020-03-01T00:00:00Z", "2021-01-01T00:00:00Z", "2021-03-01T00:00:00Z");
    assertThat(firings("0 0 0 1 1-4/2 ?", "2020-01-01T00:00:00Z", 2)).containsExactly("2020-03-01T00:00:00Z", "2021-01-01T00:00:00Z");
  }

  @Test
  void aSeventhFieldIsTheYear() throws Exception {
    assertThat(firings("0 0 0 1 1 * 2030", "2026-03-01T00:00:00Z", 2)).containsExactly("2030-01-01T00:00:00Z");
    assertThat(firings("0 0 0 1 1 ? 2020-2040/10", "2020-01-01T00:00:00Z", 3))
        .containsExactly("2030-01-01T00:00:00Z", "2040-01-01T00:00:00Z");
    assertThat(firings("* * * * * * 2015-2044", "2044-12-31T23:59:58Z", 3)).containsExactly("2044-12-31T23:59:59Z");
    assertThat(parse("0   30   9,12,15     1,15       May-Aug  Mon,Wed,Fri  2018/2").toString())
        .as("the crate's README expression").contains("May-Aug");
  }

  @Test
  void shorthands() throws Exception {
    assertThat(firings("@yearly", "2017-06-15T14:29:36Z", 2)).containsExactly("2018-01-01T00:00:00Z", "2019-01-01T00:00:00Z");
    assertThat(next("@monthly", "2017-06-15T14:29:36Z")).isEqualTo("2017-07-01T00:00:00Z");
    assertThat(next("@weekly", "2026-03-02T10:00:00Z")).as("Sunday midnight").isEqualTo("2026-03-08T00:00:00Z");
    assertThat(next(" @daily ", "2017-06-15T14:29:36Z")).isEqualTo("2017-06-16T00:00:00Z");
    assertThat(next("@hourly", "2017-06-15T14:29:36Z")).isEqualTo("2017-06-15T15:00:00Z");
  }

  @Test
  void fiveFieldCrontabIsRejectedAndTheErrorPointsAtTheMissingField() {
    assertThat(error("* * * * *")).isEqualTo(
        "Invalid cron expression '* * * * *': * * * * *\n         ^\n"
            + "expected 6 or 7 fields (sec min hour day-of-month month day-of-week [year]), found 5");
    assertThat(error("0 */5 * * *")).startsWith("Invalid cron expression '0 */5 * * *': ").endsWith("found 5");
    assertThat(error("1 2 3 4 5 6 7 8 9 2019")).endsWith("found 10");
    assertThat(error("1 2 3 2019")).as("the crate reads 2019 as the day of month and says so")
        .isEqualTo("Invalid cron expression '1 2 3 2019': 1 2 3 2019\n      ^\nDays of Month must be less than 31. ('2019' specified.)");
  }

  @Test
  void outOfRangeValuesAreNamedWithTheCratesWords() {
    assertThat(error("60 * * * * *")).isEqualTo(
        "Invalid cron expression '60 * * * * *': 60 * * * * *\n^\nSeconds must be less than 59. ('60' specified.)");
    assertThat(error("* * 24 * * *")).isEqualTo(
        "Invalid cron expression '* * 24 * * *': * * 24 * * *\n    ^\nHours must be less than 23. ('24' specified.)");
    assertThat(error("0 0 0 * * 0")).endsWith("\n          ^\nDays of Week must be greater than or equal to 1. ('0' specified.)");
    assertThat(error("0 0 0 * * 8")).endsWith("Days of Week must be less than 7. ('8' specified.)");
    assertThat(error("0 0 0 32 * *")).endsWith("Days of Month must be less than 31. ('32' specified.)");
    assertThat(error("0 0 0 0 * *")).endsWith("Days of Month must be greater than or equal to 1. ('0' specified.)");
    assertThat(error("0 0 0 1 13 *")).endsWith("Months must be less than 12. ('13' specified.)");
    assertThat(error("0-65 * * * * *")).endsWith("Invalid range for Seconds: 0-65");
    assertThat(error("5-1 * * * * *")).endsWith("Invalid range for Seconds: 5-1");
    assertThat(error("*/0 * * * * *")).endsWith("range step cannot be zero");
    assertThat(error("*/61 * * * * *")).endsWith("Seconds must be between 1 and 59. ('61' specified.)");
    assertThat(error("1,2,3/60 * * * * *")).endsWith("Seconds must be between 1 and 59. ('60' specified.)");
    assertThat(error("0 0 0 * * SAT-MON")).endsWith("Invalid named range for Days of Week: SAT-MON");
    assertThat(error("0 0 0 1 1 ? 1969")).as("a bad year: the crate points at it and says nothing; we say why")
        .isEqualTo("Invalid cron expression '0 0 0 1 1 ? 1969': 0 0 0 1 1 ? 1969\n            ^\n"
            + "Years must be greater than or equal to 1970. ('1969' specified.)");
    assertThat(error("99999999999 * * * * *")).contains("\n^\n");
  }

  @Test
  void namesOnlyWhereTheFieldHasThem() {
    assertThat(error("x * * * * *")).endsWith("\n^\nThe 'Seconds' field does not support using names. 'x' specified.");
    assertThat(error("* * * * * MON,TURTLE")).isEqualTo(
        "Invalid cron expression '* * * * * MON,TURTLE': * * * * * MON,TURTLE\n          ^\n'TURTLE' is not a valid day of the week.");
    assertThat(error("0 0 0 1 Smarch *")).endsWith("'Smarch' is not a valid month name.");
    assertThat(error("0 0 0 * * Wed/2")).as("a name cannot start a step").startsWith("Invalid cron expression ");
  }

  @Test
  void otherSyntaxTheCrateRefuses() {
    assertThat(error("? * * * * *")).as("? only in the day fields").endsWith("\n^\nunexpected '?'");
    assertThat(error("* * * * ? *")).endsWith("unexpected '?'");
    assertThat(error("@dailyBla")).isEqualTo("Invalid cron expression '@dailyBla': @dailyBla\n      ^\nunexpected 'B'");
    assertThat(error("@annually")).startsWith("Invalid cron expression '@annually'");
    assertThat(error("* * * * * *foo *")).startsWith("Invalid cron expression ");
    assertThat(error("*/ * * * * *")).isEqualTo("Invalid cron expression '*/ * * * * *': */ * * * * *\n ^\nunexpected '/'");
    assertThat(error("   ")).endsWith("found 0");
  }

  @Test
  void anExpressionWithALineBreakIsShownByLineAndColumn() throws Exception {
    assertThat(next("* * * * * *\n", "2026-03-01T10:00:00Z")).as("a trailing line break is whitespace").isEqualTo("2026-03-01T10:00:01Z");
    assertThat(error("* * * * *\n")).isEqualTo(
        "Invalid cron expression '* * * * *\n': parse error at line 1, column 11\n  |\n1 | * * * * *\n  |           ^\n"
            + "expected 6 or 7 fields (sec min hour day-of-month month day-of-week [year]), found 5");
  }
}
