package io.linkly.app;

import io.linkly.testing.LocalService;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A schema of its own on the local PostgreSQL (127.0.0.1:5432, database test, trust auth) for one
 * test class, and Linkly's environment pointing both its databases at it. Required when CI=true;
 * elsewhere the test is skipped, with the reason printed, if PostgreSQL is not there.
 */
final class PostgresSchema implements AutoCloseable {

  private static final String ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/test";

  final String name;

  private PostgresSchema(String name) {
    this.name = name;
  }

  /** Creates {@code <prefix><random>}; {@code test} names the test class in the skip message. */
  static PostgresSchema create(String prefix, String test) {
    PostgresSchema schema = new PostgresSchema(prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12));
    try (Connection c = DriverManager.getConnection(ADMIN_URL, "postgres", ""); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema.name);
    } catch (SQLException e) {
      LocalService.unavailable(test, "PostgreSQL at 127.0.0.1:5432 (database test, user postgres) is not reachable: " + e.getMessage());
    }
    return schema;
  }

  /** Linkly's test environment with its links and analytics databases in this schema. */
  Map<String, String> env(Path data) {
    return env(data, name);
  }

  static Map<String, String> env(Path data, String schema) {
    Map<String, String> env = new HashMap<>(LinklyFixture.env(data));
    String url = "postgres://postgres@127.0.0.1:5432/test?currentSchema=" + schema;
    env.put("LINKLY_DATABASE_URL", url);
    env.put("LINKLY_ANALYTICS_DATABASE_URL", url);
    return env;
  }

  @Override
  public void close() throws SQLException {
    try (Connection c = DriverManager.getConnection(ADMIN_URL, "postgres", ""); Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
    }
  }
}
