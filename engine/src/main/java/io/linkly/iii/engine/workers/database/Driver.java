package io.linkly.iii.engine.workers.database;

/** The SQL engines a database URL can name; {@link #wireName} is upstream's {@code driver} field. */
enum Driver {
  SQLITE("sqlite"),
  POSTGRES("postgres");

  private final String wireName;

  Driver(String wireName) {
    this.wireName = wireName;
  }

  String wireName() {
    return wireName;
  }
}
