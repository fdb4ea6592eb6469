package io.linkly.app;

import java.nio.file.Path;
import java.util.Map;

/** {@link LinkApiTest} with the links on the local PostgreSQL, in a schema of its own dropped afterwards. */
class LinkApiPostgresTest extends LinkApiTest {

  private PostgresSchema schema;

  @Override
  Map<String, String> env(Path data) {
    schema = PostgresSchema.create("linkly_api_", "LinkApiPostgresTest");
    return schema.env(data);
  }

  @Override
  void cleanUp() throws Exception {
    if (schema != null) {
      schema.close();
    }
  }
}
