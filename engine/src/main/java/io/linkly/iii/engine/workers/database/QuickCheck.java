package io.linkly.iii.engine.workers.database;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * SQLite's {@code PRAGMA quick_check} at start: a damaged page or index is found now, with the file
 * named, rather than by whichever query first reads it (a wrong answer, or SQLITE_CORRUPT on a
 * redirect). quick_check reads every page but skips the index-against-table comparison of
 * integrity_check, which costs far more on a large database.
 */
final class QuickCheck {

  /** More errors than this add nothing to "damaged" on one line. */
  private static final int MAX_ERRORS = 3;

  private QuickCheck() {}

  /** What SQLite found wrong, on one line, or empty when the database checks out. */
  static Optional<String> problems(Connection connection) throws SQLException {
    List<String> found = new ArrayList<>();
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("PRAGMA quick_check(" + MAX_ERRORS + ")")) {
      while (rows.next()) {
        String row = rows.getString(1);
        if (row != null && !row.equals("ok")) {
          // a row may hold several lines, led by "*** in database main ***"
          row.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("***")).forEach(found::add);
        }
      }
    }
    return found.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", found));
  }
}
