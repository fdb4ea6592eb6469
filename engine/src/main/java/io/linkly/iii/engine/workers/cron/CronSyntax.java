package io.linkly.iii.engine.workers.cron;

import static io.linkly.iii.engine.workers.cron.CronField.DAYS_OF_MONTH;
import static io.linkly.iii.engine.workers.cron.CronField.DAYS_OF_WEEK;
import static io.linkly.iii.engine.workers.cron.CronField.HOURS;
import static io.linkly.iii.engine.workers.cron.CronField.MINUTES;
import static io.linkly.iii.engine.workers.cron.CronField.MONTHS;
import static io.linkly.iii.engine.workers.cron.CronField.SECONDS;
import static io.linkly.iii.engine.workers.cron.CronField.YEARS;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.Supplier;

/**
 * Reads the text of a cron expression with the grammar of the Rust {@code cron} 0.15 crate
 * (a winnow parser), so that exactly the same strings are accepted as by upstream iii:
 * {@code sec min hour day-of-month month day-of-week [year]}, or {@code @yearly}, {@code @monthly},
 * {@code @weekly}, {@code @daily}, {@code @hourly}.
 *
 * <p>The reader mirrors the crate's combinators one for one, including where the input is left
 * when one fails, because that position is what the crate's error message points at. Each method
 * returns null on failure and leaves {@link #pos} where winnow would: an alternative that fails
 * after all its branches stays where its last branch stopped, a field that fails its bounds check
 * goes back to its start. {@link #cause} is the reason of the latest failure, null for plain
 * syntax (winnow reports none then; we add a hint of our own).
 */
final class CronSyntax {

  private final String text;
  private int pos;
  private String cause;
  /** Why an optional year field was not taken, and where it began (-1: none was tried). */
  private String yearsCause;
  private int yearsAt = -1;

  private CronSyntax(String text) {
    this.text = text;
  }

  static CronExpression read(String text) throws InvalidCronExpressionException {
    return new CronSyntax(text).expression();
  }

  private CronExpression expression() throws InvalidCronExpressionException {
    CronExpression expression = alt(this::shorthand, this::longhand);
    if (expression != null && pos < text.length()) {
      cause = null; // a shorthand followed by more text
      expression = null;
    }
    if (expression == null) {
      throw new InvalidCronExpressionException(text, pointAt() + (cause != null ? cause : hint()));
    }
    return expression;
  }

  // ------------------------------------------------------------------ the grammar

  private CronExpression shorthand() {
    whitespace();
    CronExpression expression =
        alt(
            () -> keyword("@yearly", SECONDS.only(0), MINUTES.only(0), HOURS.only(0), DAYS_OF_MONTH.only(1), MONTHS.only(1), DAYS_OF_WEEK.all()),
            () -> keyword("@monthly", SECONDS.only(0), MINUTES.only(0), HOURS.only(0), DAYS_OF_MONTH.only(1), MONTHS.all(), DAYS_OF_WEEK.all()),
            () -> keyword("@weekly", SECONDS.only(0), MINUTES.only(0), HOURS.only(0), DAYS_OF_MONTH.all(), MONTHS.all(), DAYS_OF_WEEK.only(1)),
            () -> keyword("@daily", SECONDS.only(0), MINUTES.only(0), HOURS.only(0), DAYS_OF_MONTH.all(), MONTHS.all(), DAYS_OF_WEEK.all()),
            () -> keyword("@hourly", SECONDS.only(0), MINUTES.only(0), HOURS.all(), DAYS_OF_MONTH.all(), MONTHS.all(), DAYS_OF_WEEK.all()));
    if (expression == null) {
      return null;
    }
    whitespace();
    return expression;
  }

  private CronExpression keyword(
      String word, BitSet seconds, BitSet minutes, BitSet hours, BitSet daysOfMonth, BitSet months, BitSet daysOfWeek) {
    return literal(word) ? new CronExpression(text, seconds, minutes, hours, daysOfMonth, months, daysOfWeek, YEARS.all()) : null;
  }

  private CronExpression longhand() {
    BitSet seconds = field(SECONDS, false);
    BitSet minutes = seconds == null ? null : field(MINUTES, false);
    BitSet hours = minutes == null ? null : field(HOURS, false);
    BitSet daysOfMonth = hours == null ? null : field(DAYS_OF_MONTH, true);
    BitSet months = daysOfMonth == null ? null : field(MONTHS, false);
    BitSet daysOfWeek = months == null ? null : field(DAYS_OF_WEEK, true);
    if (daysOfWeek == null) {
      return null;
    }
    // The year is optional: a year field that does not read is given back, and the end of the
    // text is expected in its place.
    int beforeYears = pos;
    BitSet years = field(YEARS, false);
    if (years == null) {
      yearsAt = beforeYears;
      yearsCause = cause;
      pos = beforeYears;
      years = YEARS.all();
    }
    if (pos < text.length()) {
      cause = null;
      return null;
    }
    return new CronExpression(text, seconds, minutes, hours, daysOfMonth, months, daysOfWeek, years);
  }

  /** A field's comma-separated parts, then their bounds check; a failed check rewinds to the field. */
  private BitSet field(CronField field, boolean questionMarkAllowed) {
    int start = pos;
    List<CronSpecifier> parts = parts(questionMarkAllowed);
    if (parts == null) {
      return null;
    }
    try {
      return field.values(parts);
    } catch (CronField.Invalid e) {
      pos = start;
      cause = e.getMessage();
      return null;
    }
  }

  private List<CronSpecifier> parts(boolean questionMarkAllowed) {
    whitespace();
    CronSpecifier first = part(questionMarkAllowed);
    if (first == null) {
      return null;
    }
    List<CronSpecifier> parts = new ArrayList<>();
    parts.add(first);
    while (true) {
      int beforeComma = pos;
      if (!literal(",")) {
        pos = beforeComma;
        break;
      }
      CronSpecifier next = part(questionMarkAllowed);
      if (next == null) {
        pos = beforeComma; // "1," ends the list before the comma
        break;
      }
      parts.add(next);
    }
    whitespace();
    return parts;
  }

  private CronSpecifier part(boolean questionMarkAllowed) {
    return alt(() -> period(questionMarkAllowed), () -> specifier(questionMarkAllowed), this::namedPoint);
  }

  private CronSpecifier period(boolean questionMarkAllowed) {
    CronSpecifier start = specifier(questionMarkAllowed);
    if (start == null || !literal("/")) {
      return null;
    }
    Long step = number();
    return step == null ? null : new CronSpecifier.Period(start, step);
  }

  private CronSpecifier specifier(boolean questionMarkAllowed) {
    if (questionMarkAllowed) {
      return alt(() -> literal("?") ? CronSpecifier.ALL : null, () -> specifier(false));
    }
    return alt(() -> literal("*") ? CronSpecifier.ALL : null, this::range, this::point, this::namedRange);
  }

  private CronSpecifier range() {
    Long start = number();
    if (start == null || !literal("-")) {
      return null;
    }
    Long end = number();
    return end == null ? null : new CronSpecifier.Range(start, end);
  }

  private CronSpecifier point() {
    Long value = number();
    return value == null ? null : new CronSpecifier.Point(value);
  }

  private CronSpecifier namedRange() {
    String start = name();
    if (start == null || !literal("-")) {
      return null;
    }
    String end = name();
    return end == null ? null : new CronSpecifier.NamedRange(start, end);
  }

  private CronSpecifier namedPoint() {
    String name = name();
    return name == null ? null : new CronSpecifier.NamedPoint(name);
  }

  // ------------------------------------------------------------------ tokens

  /** ASCII digits with optional whitespace around them, as an unsigned 32-bit number. */
  private Long number() {
    int start = pos;
    whitespace();
    int digits = pos;
    while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
      pos++;
    }
    if (pos == digits) {
      cause = null;
      return null;
    }
    String written = text.substring(digits, pos);
    whitespace();
    String significant = written.replaceFirst("^0+(?=.)", "");
    long value = significant.length() > 10 ? -1 : Long.parseLong(significant);
    if (value < 0 || value > 0xFFFF_FFFFL) {
      pos = start;
      cause = "number too large to fit in target type";
      return null;
    }
    return value;
  }

  /** ASCII letters with optional whitespace around them. */
  private String name() {
    whitespace();
    int start = pos;
    while (pos < text.length() && isAsciiLetter(text.charAt(pos))) {
      pos++;
    }
    if (pos == start) {
      cause = null;
      return null;
    }
    String name = text.substring(start, pos);
    whitespace();
    return name;
  }

  private static boolean isAsciiLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private void whitespace() {
    while (pos < text.length() && " \t\r\n".indexOf(text.charAt(pos)) >= 0) {
      pos++;
    }
  }

  private boolean literal(String token) {
    if (text.startsWith(token, pos)) {
      pos += token.length();
      return true;
    }
    cause = null;
    return false;
  }

  /** Each branch from the same start; when all fail, the input stays where the last one left it. */
  @SafeVarargs
  private <T> T alt(Supplier<T>... branches) {
    int start = pos;
    for (Supplier<T> branch : branches) {
      pos = start;
      T result = branch.get();
      if (result != null) {
        return result;
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ the error message

  /**
   * winnow's rendering of a parse error: the text, then a caret under the byte offset where the
   * parser stopped (for text with line breaks, the line and column with a gutter), then a new line.
   */
  private String pointAt() {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int offset = text.substring(0, pos).getBytes(StandardCharsets.UTF_8).length;
    StringBuilder out = new StringBuilder();
    if (text.indexOf('\n') < 0) {
      out.append(text).append('\n').append(" ".repeat(offset)).append("^\n");
      return out.toString();
    }
    int[] lineAndColumn = lineAndColumn(bytes, offset);
    int line = lineAndColumn[0] + 1;
    String gutter = " ".repeat(String.valueOf(line).length());
    out.append("parse error at line ").append(line).append(", column ").append(lineAndColumn[1] + 1).append('\n');
    out.append(gutter).append(" |\n");
    out.append(line).append(" | ").append(text.split("\n", -1)[lineAndColumn[0]]).append('\n');
    out.append(gutter).append(" | ").append(" ".repeat(lineAndColumn[1])).append("^\n");
    return out.toString();
  }

  /** winnow's zero-based line and column of a byte offset (the column counts characters). */
  private static int[] lineAndColumn(byte[] input, int index) {
    if (input.length == 0) {
      return new int[] {0, index};
    }
    int safe = Math.min(index, input.length - 1);
    int beyond = index - safe;
    int lineStart = 0;
    for (int i = safe - 1; i >= 0; i--) {
      if (input[i] == '\n') {
        lineStart = i + 1;
        break;
      }
    }
    int line = 0;
    for (int i = 0; i < lineStart; i++) {
      if (input[i] == '\n') {
        line++;
      }
    }
    int column;
    try {
      String upToIndex =
          StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(input, lineStart, safe - lineStart + 1)).toString();
      column = upToIndex.codePointCount(0, upToIndex.length()) - 1;
    } catch (CharacterCodingException e) {
      column = safe - lineStart;
    }
    return new int[] {line, column + beyond};
  }

  /** What to say where winnow says nothing (plain syntax errors). */
  private String hint() {
    String trimmed = text.strip();
    if (!trimmed.startsWith("@")) {
      int fields = trimmed.isEmpty() ? 0 : trimmed.split("[ \t\r\n]+").length;
      if (fields != 6 && fields != 7) {
        return "expected 6 or 7 fields (sec min hour day-of-month month day-of-week [year]), found " + fields;
      }
    }
    if (yearsCause != null && pos == yearsAt) {
      return yearsCause;
    }
    if (pos >= text.length()) {
      return "unexpected end of the expression";
    }
    return "unexpected '" + new String(Character.toChars(text.codePointAt(pos))) + "'";
  }
}
