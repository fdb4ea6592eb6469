package io.linkly.iii.engine.workers.database;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a caller's SQL text is, read with a small lexer that knows each dialect's string literals,
 * quoted identifiers and comments, so that a {@code ;} inside {@code 'a;b'}, {@code "x;y"},
 * {@code -- c;} or a PostgreSQL {@code $$…$$} body is not a statement separator, while
 * {@code INSERT …; DELETE …} is rejected ({@code MULTI_STATEMENT}) before anything runs. JDBC drivers
 * would otherwise run only the first statement (sqlite-jdbc) or all of them (pgjdbc).
 */
final class Statements {

  /** The single statement of a call: its text without trailing {@code ;} or comments. */
  record Single(String sql, String firstWord, boolean hasReturning) {

    boolean isInsert() {
      return firstWord.equals("INSERT") || firstWord.equals("REPLACE");
    }
  }

  /** PostgreSQL text with {@code $n} turned into JDBC {@code ?}: {@code order[k]} is the parameter of the k-th. */
  record Numbered(String sql, int[] order, int needed) {}

  private static final Set<String> TRANSACTION_CONTROL =
      Set.of("BEGIN", "COMMIT", "ROLLBACK", "END", "SAVEPOINT", "RELEASE");
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private enum Kind { WORD, PARAM, QUESTION, SEMICOLON, OPEN, CLOSE, LITERAL, COMMENT, OTHER }

  private record Token(Kind kind, int start, int end) {}

  private Statements() {}

  /**
   * Checks that {@code sql} holds exactly one statement and that it is not transaction control
   * (the engine owns transactions: a stray {@code BEGIN} would capture every later write on the
   * shared connection).
   */
  static Single single(Driver driver, String sql) throws DatabaseException {
    int depth = 0;
    int block = 0;
    String first = null;
    String second = null;
    boolean create = false;
    boolean returning = false;
    boolean terminated = false;
    int firstStart = -1;
    int lastEnd = -1;
    for (Token t : tokens(sql, driver)) {
      if (t.kind() == Kind.COMMENT) {
        continue;
      }
      if (terminated) {
        if (t.kind() == Kind.SEMICOLON) {
          continue;
        }
        throw DatabaseErrors.multiStatement(driver);
      }
      if (t.kind() == Kind.SEMICOLON && depth <= 0 && block == 0) {
        terminated = lastEnd >= 0; // leading semicolons are noise, as in SQLite
        continue;
      }
      if (firstStart < 0) {
        firstStart = t.start();
      }
      lastEnd = t.end();
      switch (t.kind()) {
        case OPEN -> depth++;
        case CLOSE -> depth--;
        case WORD -> {
          String word = sql.substring(t.start(), t.end()).toUpperCase(Locale.ROOT);
          if (first == null) {
            first = word;
            create = word.equals("CREATE");
          } else if (second == null) {
            second = word;
          }
          // Trigger bodies (CREATE TRIGGER … BEGIN …; …; END) hold semicolons of their own.
          if (create) {
            if (word.equals("BEGIN") || word.equals("CASE")) {
              block++;
            } else if (word.equals("END") && block > 0) {
              block--;
            }
          }
          if (word.equals("RETURNING") && depth == 0 && block == 0) {
            returning = true;
          }
        }
        default -> {}
      }
    }
    if (lastEnd < 0) {
      throw DatabaseErrors.emptySql(driver);
    }
    String firstWord = first == null ? "" : first;
    if (TRANSACTION_CONTROL.contains(firstWord)
        || ((firstWord.equals("SET") || firstWord.equals("START")) && "TRANSACTION".equals(second))) {
      throw DatabaseErrors.invalidParam(
          0, "transaction control statements (" + firstWord + ") are not allowed here; use database::transaction");
    }
    return new Single(sql.substring(firstStart, lastEnd), firstWord, returning);
  }

  /** Adds {@code RETURNING col, …} for {@code execute}'s {@code returning} list. */
  static String withReturning(String sql, List<String> columns) throws DatabaseException {
    StringBuilder out = new StringBuilder(sql).append(" RETURNING ");
    for (int i = 0; i < columns.size(); i++) {
      String column = columns.get(i);
      if (i > 0) {
        out.append(", ");
      }
      if (column.equals("*")) {
        out.append('*');
      } else if (IDENTIFIER.matcher(column).matches()) {
        out.append('"').append(column).append('"');
      } else {
        throw DatabaseErrors.invalidParam(i, "returning column `" + column + "` must be a plain column name or *");
      }
    }
    return out.toString();
  }

  /**
   * Rewrites PostgreSQL's {@code $1…$n} for pgjdbc, which only knows {@code ?}: each {@code $n}
   * becomes {@code ?} (a repeated {@code $n} binds the same value again) and a literal {@code ?}
   * operator (jsonb {@code ?}, {@code ?|}) is escaped as {@code ??}.
   */
  static Numbered numbered(String sql) {
    StringBuilder out = new StringBuilder(sql.length() + 8);
    List<Integer> order = new ArrayList<>();
    int needed = 0;
    int copied = 0;
    for (Token t : tokens(sql, Driver.POSTGRES)) {
      if (t.kind() == Kind.PARAM) {
        out.append(sql, copied, t.start()).append('?');
        int n = parseIndex(sql.substring(t.start() + 1, t.end()));
        order.add(n - 1);
        needed = Math.max(needed, n);
        copied = t.end();
      } else if (t.kind() == Kind.QUESTION) {
        out.append(sql, copied, t.end()).append('?');
        copied = t.end();
      }
    }
    out.append(sql, copied, sql.length());
    return new Numbered(out.toString(), order.stream().mapToInt(Integer::intValue).toArray(), needed);
  }

  private static int parseIndex(String digits) {
    try {
      return Math.max(1, Integer.parseInt(digits));
    } catch (NumberFormatException e) {
      return Integer.MAX_VALUE; // reported as a parameter-count mismatch
    }
  }

  // ------------------------------------------------------------------ lexer

  private static List<Token> tokens(String sql, Driver driver) {
    boolean postgres = driver == Driver.POSTGRES;
    List<Token> out = new ArrayList<>();
    int n = sql.length();
    int i = 0;
    while (i < n) {
      char c = sql.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
        continue;
      }
      int start = i;
      Kind kind;
      if (c == '-' && at(sql, i + 1) == '-') {
        int newline = sql.indexOf('\n', i);
        i = newline < 0 ? n : newline + 1;
        kind = Kind.COMMENT;
      } else if (c == '/' && at(sql, i + 1) == '*') {
        i = blockCommentEnd(sql, i, postgres);
        kind = Kind.COMMENT;
      } else if (c == '\'' || c == '"') {
        i = quotedEnd(sql, i, c, false);
        kind = Kind.LITERAL;
      } else if (!postgres && c == '`') {
        i = quotedEnd(sql, i, c, false);
        kind = Kind.LITERAL;
      } else if (!postgres && c == '[') {
        int close = sql.indexOf(']', i + 1);
        i = close < 0 ? n : close + 1;
        kind = Kind.LITERAL;
      } else if (postgres && c == '$' && Character.isDigit(at(sql, i + 1))) {
        i++;
        while (i < n && Character.isDigit(sql.charAt(i))) {
          i++;
        }
        kind = Kind.PARAM;
      } else if (postgres && c == '$' && dollarTagEnd(sql, i) > 0) {
        int tagEnd = dollarTagEnd(sql, i);
        int close = sql.indexOf(sql.substring(i, tagEnd), tagEnd);
        i = close < 0 ? n : close + (tagEnd - i);
        kind = Kind.LITERAL;
      } else if (isWordStart(c)) {
        i++;
        while (i < n && isWordPart(sql.charAt(i))) {
          i++;
        }
        if (postgres && i - start == 1 && (c == 'E' || c == 'e') && at(sql, i) == '\'') {
          i = quotedEnd(sql, i, '\'', true); // E'…' strings take backslash escapes
          kind = Kind.LITERAL;
        } else {
          kind = Kind.WORD;
        }
      } else if (Character.isDigit(c)) {
        i++;
        while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '.')) {
          i++;
        }
        kind = Kind.OTHER;
      } else {
        i++;
        kind =
            switch (c) {
              case ';' -> Kind.SEMICOLON;
              case '(' -> Kind.OPEN;
              case ')' -> Kind.CLOSE;
              case '?' -> Kind.QUESTION;
              default -> Kind.OTHER;
            };
      }
      out.add(new Token(kind, start, i));
    }
    return out;
  }

  private static char at(String s, int i) {
    return i < s.length() ? s.charAt(i) : '\0';
  }

  private static boolean isWordStart(char c) {
    return c == '_' || Character.isLetter(c);
  }

  private static boolean isWordPart(char c) {
    return c == '_' || c == '$' || Character.isLetterOrDigit(c);
  }

  /** The index after the closing quote; a doubled quote is an escaped quote. */
  private static int quotedEnd(String sql, int open, char quote, boolean backslashEscapes) {
    int n = sql.length();
    int i = open + 1;
    while (i < n) {
      char c = sql.charAt(i);
      if (backslashEscapes && c == '\\') {
        i += 2;
      } else if (c == quote) {
        if (at(sql, i + 1) == quote) {
          i += 2;
        } else {
          return i + 1;
        }
      } else {
        i++;
      }
    }
    return n;
  }

  /** PostgreSQL nests block comments; SQLite does not. */
  private static int blockCommentEnd(String sql, int open, boolean nested) {
    int n = sql.length();
    int depth = 1;
    int i = open + 2;
    while (i < n) {
      if (nested && sql.charAt(i) == '/' && at(sql, i + 1) == '*') {
        depth++;
        i += 2;
      } else if (sql.charAt(i) == '*' && at(sql, i + 1) == '/') {
        i += 2;
        if (--depth == 0) {
          return i;
        }
      } else {
        i++;
      }
    }
    return n;
  }

  /** For {@code $$} or {@code $tag$} at {@code i}: the index after the opening tag, else -1. */
  private static int dollarTagEnd(String sql, int i) {
    int j = i + 1;
    if (at(sql, j) == '$') {
      return j + 1;
    }
    if (!isWordStart(at(sql, j))) {
      return -1;
    }
    while (j < sql.length() && (sql.charAt(j) == '_' || Character.isLetterOrDigit(sql.charAt(j)))) {
      j++;
    }
    return at(sql, j) == '$' ? j + 1 : -1;
  }
}
