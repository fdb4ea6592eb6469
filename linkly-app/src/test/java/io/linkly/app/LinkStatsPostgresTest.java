package io.linkly.app;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Map;

/**
 * {@link LinkStatsTest} with the databases on the local PostgreSQL, in a schema of its own dropped
 * afterwards: counts arrive as text there, and names must sort the same as on SQLite whatever the
 * server's locale.
 */
class LinkStatsPostgresTest extends LinkStatsTest {

  private PostgresSchema schema;

  @Override
  Map<String, String> env(Path data) {
    schema = PostgresSchema.create("linkly_stats_", "LinkStatsPostgresTest");
    return schema.env(data);
  }

  @Override
  void cleanUp() throws SQLException {
    if (schema != null) {
      schema.close();
    }
  }
}
