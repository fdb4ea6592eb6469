package io.linkly.app.sql;

/**
 * What differs between the two databases Linkly runs on: SQLite (one machine, the default) and
 * PostgreSQL (several engines sharing one database, {@code LINKLY_DATABASE_URL}). Everything else
 * is the SQL both speak.
 *
 * <p>The one difference that matters beyond spelling is ordering. Linkly reads "everything up to
 * row id N" in two places (the click totals' snapshot, the links an all-or-nothing import added),
 * which is exact on SQLite because its one writer commits rows in id order. On PostgreSQL a row
 * with a lower id can commit after one with a higher id, so those reads first take a table lock
 * that waits for the writers in progress and holds new ones off until the read is done
 * ({@link #waitForWriters}).
 */
public enum SqlDialect {
  SQLITE("INTEGER PRIMARY KEY AUTOINCREMENT", "rowid"),
  POSTGRES("BIGSERIAL PRIMARY KEY", "id");

  private final String serialKey;
  private final String linkRowId;

  SqlDialect(String serialKey, String linkRowId) {
    this.serialKey = serialKey;
    this.linkRowId = linkRowId;
  }

  /**
   * {@code sql} with its {@code ?} parameters as this database's database worker wants them:
   * {@code ?} on SQLite, {@code $1 … $n} on PostgreSQL. A {@code ?} inside a quoted literal is text.
   */
  public String numbered(String sql) {
    if (this == SQLITE || sql.indexOf('?') < 0) {
      return sql;
    }
    StringBuilder out = new StringBuilder(sql.length() + 16);
    int next = 1;
    char quote = 0;
    for (int i = 0; i < sql.length(); i++) {
      char c = sql.charAt(i);
      if (quote != 0) {
        quote = c == quote ? 0 : quote;
        out.append(c);
      } else if (c == '\'' || c == '"') {
        quote = c;
        out.append(c);
      } else if (c == '?') {
        out.append('$').append(next++);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** The column type of an auto-numbered primary key. */
  public String serialKey() {
    return serialKey;
  }

  /** The column that numbers links in insertion order (SQLite's implicit rowid; our own column on PostgreSQL). */
  public String linkRowId() {
    return linkRowId;
  }

  /** The links table; on PostgreSQL with the numbering column SQLite gives every table. */
  public String createLinks() {
    String numbered = this == POSTGRES ? ", id BIGSERIAL UNIQUE" : "";
    return "CREATE TABLE IF NOT EXISTS links (code TEXT PRIMARY KEY, url TEXT NOT NULL, created_at TEXT NOT NULL" + numbered + ")";
  }

  /** Adds a column to a table made before the column existed; {@code null} when the database cannot say "if not exists". */
  public String addColumnIfMissing(String table, String columnDefinition) {
    return this == POSTGRES ? "ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS " + columnDefinition : null;
  }

  /**
   * The statement that makes "every row up to the highest id" exact for the rest of a transaction
   * ({@code exclusive}: also keeps other transactions from writing {@code table} until it ends,
   * itself included), or {@code null} on SQLite, where it is so already.
   */
  public String waitForWriters(String table, boolean exclusive) {
    if (this == SQLITE) {
      return null;
    }
    return "LOCK TABLE " + table + (exclusive ? " IN SHARE ROW EXCLUSIVE MODE" : " IN SHARE MODE");
  }
}
