package io.linkly.app;

import io.linkly.testing.LocalService;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;

/**
 * {@link LinkStatsTest} with the databases on the local PostgreSQL (127.0.0.1:5432, trust auth),
 * in a schema of its own dropped afterwards: counts arrive as text there, and names must sort the
 * same as on SQLite whatever the server's locale. Required when CI=true; elsewhere skipped, with
 * the reason printed, if PostgreSQL is not there.
 */
class LinkStatsPostgresTest extends LinkStatsTest {

  private static final String ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/test";
  private final String schema = "linkly_stats_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  private boolean created;

  @Override
  Map<String, String> env(Path data) {
    try (Connection c = DriverManager.getConnection(ADMIN_URL, "postgres", ""); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema);
      created = true;
    } catch (SQLException e) {
      LocalService.unavailable("LinkStatsPostgresTest", "PostgreSQL at 127.0.0.1:5432 (database test, user postgres) is not reachable: " + e.getMessage());
    }
    return LinklyPostgresTest.env(data, schema);
  }

  @Override
  void cleanUp() throws SQLException {
    if (!created) {
      return;
    }
    try (Connection c = DriverManager.getConnection(ADMIN_URL, "postgres", ""); Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }
}
