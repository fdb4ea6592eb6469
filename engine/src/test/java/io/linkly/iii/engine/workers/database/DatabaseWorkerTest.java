package io.linkly.iii.engine.workers.database;

import static io.linkly.iii.engine.workers.database.DbClient.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.workers.StartupException;
import io.linkly.iii.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** database::* over SQLite, called over a real worker socket, with upstream's shapes and errors. */
class DatabaseWorkerTest {

  @TempDir Path dir;
  private IiiEngine engine;
  private DbClient db;

  static EngineConfig config(Path file) {
    ObjectNode databases = Json.object();
    databases.putObject("primary").put("url", "sqlite:" + file);
    return EngineConfig.ephemeral().withSetting("database", "databases", databases);
  }

  @BeforeEach
  void start() throws Exception {
    engine = IiiEngine.start(config(dir.resolve("data/iii.db")));
    db = new DbClient(engine.workerUrl());
  }

  @AfterEach
  void stop() {
    db.close();
    engine.close();
  }

  private JsonNode execute(String sql, Object... params) throws Exception {
    return db.result("database::execute", "db", "primary", "sql", sql, "params", Arrays.asList(params));
  }

  private JsonNode query(String sql, Object... params) throws Exception {
    return db.result("database::query", "db", "primary", "sql", sql, "params", Arrays.asList(params));
  }

  private void linklySchema() throws Exception {
    execute("CREATE TABLE IF NOT EXISTS links (code TEXT PRIMARY KEY, url TEXT NOT NULL, created_at TEXT NOT NULL)");
    execute("CREATE TABLE IF NOT EXISTS clicks (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL, clicked_at TEXT NOT NULL)");
  }

  // ------------------------------------------------------------------ shapes

  @Test
  void linklyChapterThreeClickCountHasExactlyUpstreamsShape() throws Exception {
    linklySchema();
    execute("INSERT INTO links (code, url, created_at) VALUES (?, ?, ?)", "iii", "https://iii.dev", "2026-08-07T10:00:00.000Z");
    for (int i = 0; i < 3; i++) {
      execute("INSERT INTO clicks (code, clicked_at) VALUES (?, ?)", "iii", "2026-08-07T10:00:0" + i + ".000Z");
    }
    // iii trigger database::query db=primary sql="SELECT COUNT(*) AS clicks FROM clicks WHERE code = 'iii'"
    JsonNode result = db.result("database::query", "db", "primary", "sql", "SELECT COUNT(*) AS clicks FROM clicks WHERE code = 'iii'");
    assertThat(Json.write(result)).isEqualTo("{\"columns\":[{\"name\":\"clicks\",\"type\":\"\"}],\"row_count\":1,\"rows\":[{\"clicks\":3}]}");

    JsonNode link = query("SELECT url FROM links WHERE code = ?", "iii");
    assertThat(link.get("rows").get(0).get("url").asText()).isEqualTo("https://iii.dev");
    assertThat(link.get("columns")).isEqualTo(Json.mapper().readTree("[{\"name\":\"url\",\"type\":\"TEXT\"}]"));
  }

  @Test
  void queryReportsDeclaredTypesVerbatimAndMapsEveryStorageClass() throws Exception {
    execute("CREATE TABLE t (i INTEGER, r REAL, s varchar(10), b BLOB, n NUMERIC, untyped)");
    execute("INSERT INTO t VALUES (?, ?, ?, x'ff0010', ?, ?)", 9007199254740993L, 2.5, "text", 7, null);
    JsonNode result = query("SELECT i, r, s, b, n, untyped, i + 1 AS expr, 'lit' FROM t");
    assertThat(result.get("columns"))
        .isEqualTo(
            Json.mapper()
                .readTree(
                    "[{\"name\":\"i\",\"type\":\"INTEGER\"},{\"name\":\"r\",\"type\":\"REAL\"},{\"name\":\"s\",\"type\":\"varchar(10)\"},"
                        + "{\"name\":\"b\",\"type\":\"BLOB\"},{\"name\":\"n\",\"type\":\"NUMERIC\"},{\"name\":\"untyped\",\"type\":\"\"},"
                        + "{\"name\":\"expr\",\"type\":\"\"},{\"name\":\"'lit'\",\"type\":\"\"}]"));
    JsonNode row = result.get("rows").get(0);
    assertThat(row.get("i").isIntegralNumber()).isTrue();
    assertThat(row.get("i").longValue()).isEqualTo(9007199254740993L);
    assertThat(row.get("r").doubleValue()).isEqualTo(2.5);
    assertThat(row.get("s").asText()).isEqualTo("text");
    assertThat(row.get("b").asText()).as("blobs travel as base64").isEqualTo("/wAQ");
    assertThat(row.get("n").asInt()).isEqualTo(7);
    assertThat(row.get("untyped").isNull()).isTrue();
    assertThat(row.get("'lit'").asText()).isEqualTo("lit");
    assertThat(result.get("row_count").asInt()).isEqualTo(1);
  }

  @Test
  void anEmptyResultStillDescribesItsColumns() throws Exception {
    linklySchema();
    JsonNode result = query("SELECT code, url FROM links WHERE code = ?", "none");
    assertThat(result.get("row_count").asInt()).isZero();
    assertThat(result.get("rows")).isEmpty();
    assertThat(result.get("columns")).hasSize(2);
  }

  @Test
  void parametersBindByJsonKind() throws Exception {
    execute("CREATE TABLE p (v)");
    execute("INSERT INTO p VALUES (?), (?), (?), (?), (?), (?)", true, false, Map.of("a", List.of(1, 2)), List.of("x"), 1.25, null);
    JsonNode rows = query("SELECT v, typeof(v) AS kind FROM p ORDER BY rowid").get("rows");
    assertThat(rows.get(0).get("v").asInt()).as("true binds as 1").isEqualTo(1);
    assertThat(rows.get(1).get("v").asInt()).isZero();
    assertThat(rows.get(2).get("v").asText()).as("objects bind as JSON text").isEqualTo("{\"a\":[1,2]}");
    assertThat(rows.get(3).get("v").asText()).isEqualTo("[\"x\"]");
    assertThat(rows.get(4).get("kind").asText()).isEqualTo("real");
    assertThat(rows.get(5).get("v").isNull()).isTrue();
  }

  @Test
  void executeReportsAffectedRowsAndLastInsertId() throws Exception {
    linklySchema();
    JsonNode ddl = execute("CREATE TABLE extra (x)");
    assertThat(ddl).isEqualTo(Json.mapper().readTree("{\"affected_rows\":0,\"last_insert_id\":null,\"returned_rows\":[]}"));

    JsonNode first = execute("INSERT INTO clicks (code, clicked_at) VALUES (?, ?)", "a", "t1");
    assertThat(Json.write(first)).isEqualTo("{\"affected_rows\":1,\"last_insert_id\":\"1\",\"returned_rows\":[]}");
    assertThat(execute("INSERT INTO clicks (code, clicked_at) VALUES (?, ?), (?, ?)", "a", "t2", "b", "t3").get("last_insert_id").asText())
        .isEqualTo("3");

    JsonNode update = execute("UPDATE clicks SET code = ? WHERE code = ?", "c", "a");
    assertThat(update.get("affected_rows").asInt()).isEqualTo(2);
    assertThat(update.get("last_insert_id").isNull()).as("only an INSERT has an id").isTrue();

    execute("INSERT INTO links VALUES ('k', 'u', 't')");
    JsonNode ignored = execute("INSERT OR IGNORE INTO links VALUES ('k', 'u2', 't')");
    assertThat(ignored.get("affected_rows").asInt()).isZero();
    assertThat(ignored.get("last_insert_id").isNull()).as("no stale id when nothing was inserted").isTrue();

    assertThat(execute("DELETE FROM clicks").get("affected_rows").asInt()).isEqualTo(3);
  }

  @Test
  void returningAddsTheClauseOrUsesTheOneInTheSql() throws Exception {
    linklySchema();
    JsonNode added =
        db.result("database::execute", "db", "primary", "sql", "INSERT INTO clicks (code, clicked_at) VALUES (?, ?);",
            "params", List.of("r", "t"), "returning", List.of("id", "code"));
    assertThat(Json.write(added))
        .isEqualTo("{\"affected_rows\":1,\"last_insert_id\":\"1\",\"returned_rows\":[{\"id\":1,\"code\":\"r\"}]}");

    JsonNode inSql = execute("UPDATE clicks SET code = 's' WHERE id = 1 RETURNING code, clicked_at");
    assertThat(inSql.get("returned_rows")).isEqualTo(Json.mapper().readTree("[{\"code\":\"s\",\"clicked_at\":\"t\"}]"));
    assertThat(inSql.get("affected_rows").asInt()).isEqualTo(1);

    JsonNode bad = db.error("database::execute", "db", "primary", "sql", "DELETE FROM clicks", "returning", List.of("id;"));
    assertThat(bad.get("code").asText()).isEqualTo("INVALID_PARAM");
    assertThat(query("SELECT COUNT(*) AS n FROM clicks").get("rows").get(0).get("n").asInt()).as("nothing ran").isEqualTo(1);
  }

  @Test
  void aWriteSentAsAQueryRunsOnTheWriter() throws Exception {
    linklySchema();
    JsonNode result = query("INSERT INTO clicks (code, clicked_at) VALUES (?, ?) RETURNING id, code", "q", "t");
    assertThat(result.get("rows")).isEqualTo(Json.mapper().readTree("[{\"id\":1,\"code\":\"q\"}]"));
    assertThat(query("SELECT code FROM clicks").get("row_count").asInt()).isEqualTo(1);
  }

  @Test
  void theFileIsCreatedInWalModeWithForeignKeysOn() throws Exception {
    assertThat(dir.resolve("data/iii.db")).exists();
    assertThat(query("PRAGMA journal_mode").get("rows").get(0).get("journal_mode").asText()).isEqualTo("wal");
    execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
    execute("CREATE TABLE child (p INTEGER REFERENCES parent(id))");
    JsonNode body = body(db.error("database::execute", "db", "primary", "sql", "INSERT INTO child VALUES (42)"));
    assertThat(body.get("inner_code").asText()).isEqualTo("ConstraintViolation");
    assertThat(body.get("message").asText()).isEqualTo("FOREIGN KEY constraint failed");
  }

  @Test
  void theFunctionsAreListedWithTheirSchemas() throws Exception {
    JsonNode info = db.result("engine::functions::info", "function_id", "database::query");
    assertThat(info.get("worker_name").asText()).isEqualTo("database");
    assertThat(info.get("request_schema").get("required")).isEqualTo(Json.mapper().readTree("[\"db\",\"sql\"]"));
    JsonNode listed = db.result("engine::functions::list", "prefix", "database::").get("functions");
    assertThat(listed).extracting(f -> f.get("function_id").asText())
        .containsExactly(
            "database::beginTransaction", "database::commitTransaction", "database::execute", "database::query",
            "database::rollbackTransaction", "database::transaction", "database::transactionExecute", "database::transactionQuery");
  }

  // ------------------------------------------------------------------ errors

  @Test
  void anUnknownDatabaseIsUnknownDb() throws Exception {
    JsonNode error = db.error("database::query", "db", "analytics", "sql", "SELECT 1");
    assertThat(error.get("code").asText()).isEqualTo("UNKNOWN_DB");
    assertThat(Json.write(body(error))).isEqualTo("{\"code\":\"UNKNOWN_DB\",\"db\":\"analytics\"}");
  }

  @Test
  void aDuplicateKeyIsAConstraintViolation() throws Exception {
    linklySchema();
    execute("INSERT INTO links (code, url, created_at) VALUES (?, ?, ?)", "iii", "https://iii.dev", "t");
    JsonNode error = db.error("database::execute", "db", "primary",
        "sql", "INSERT INTO links (code, url, created_at) VALUES (?, ?, ?)", "params", List.of("iii", "https://other", "t"));
    assertThat(error.get("code").asText()).isEqualTo("DRIVER_ERROR");
    assertThat(Json.write(body(error)))
        .isEqualTo("{\"code\":\"DRIVER_ERROR\",\"driver\":\"sqlite\",\"inner_code\":\"ConstraintViolation\","
            + "\"message\":\"UNIQUE constraint failed: links.code\"}");
    assertThat(query("SELECT url FROM links").get("rows").get(0).get("url").asText()).isEqualTo("https://iii.dev");
  }

  @Test
  void twoStatementsInOneCallAreRefusedAndNothingRuns() throws Exception {
    linklySchema();
    for (String function : List.of("database::execute", "database::query")) {
      JsonNode error = db.error(function, "db", "primary",
          "sql", "INSERT INTO links VALUES ('a', 'u', 't'); DROP TABLE clicks");
      assertThat(body(error).get("inner_code").asText()).isEqualTo("MULTI_STATEMENT");
      assertThat(error.get("code").asText()).isEqualTo("DRIVER_ERROR");
    }
    assertThat(query("SELECT COUNT(*) AS n FROM links").get("rows").get(0).get("n").asInt()).isZero();
    assertThat(query("SELECT COUNT(*) AS n FROM clicks").get("row_count").asInt()).isEqualTo(1);

    execute("INSERT INTO links VALUES ('x;y', 'it''s; fine', 't') -- trailing; comment\n;");
    assertThat(query("SELECT url FROM links WHERE code = 'x;y'").get("rows").get(0).get("url").asText()).isEqualTo("it's; fine");
  }

  @Test
  void emptySqlAndBadSqlAreDriverErrors() throws Exception {
    JsonNode empty = body(db.error("database::execute", "db", "primary", "sql", "  "));
    assertThat(Json.write(empty)).isEqualTo("{\"code\":\"DRIVER_ERROR\",\"driver\":\"sqlite\",\"inner_code\":null,\"message\":\"empty SQL\"}");
    JsonNode missing = body(db.error("database::query", "db", "primary", "sql", "SELECT * FROM nowhere"));
    assertThat(missing.get("inner_code").asText()).isEqualTo("Unknown");
    assertThat(missing.get("message").asText()).isEqualTo("no such table: nowhere");
    JsonNode count = body(db.error("database::query", "db", "primary", "sql", "SELECT ?, ?", "params", List.of(1)));
    assertThat(count.get("message").asText()).isEqualTo("Wrong number of parameters passed to query. Got 1, needed 2");
  }

  @Test
  void unrepresentableParametersAndUnknownIsolationAreInvalidParam() throws Exception {
    JsonNode data = Json.mapper().readTree("{\"db\":\"primary\",\"sql\":\"SELECT ?, ?\",\"params\":[1, 18446744073709551616]}");
    JsonNode error = db.frame("database::query", data).get("error");
    assertThat(error.get("code").asText()).isEqualTo("INVALID_PARAM");
    assertThat(body(error).get("index").asInt()).isEqualTo(1);
    assertThat(body(error).get("reason").asText()).contains("18446744073709551616");

    JsonNode isolation = db.error("database::transaction", "db", "primary", "statements", List.of(), "isolation", "chaos");
    assertThat(Json.write(body(isolation))).isEqualTo("{\"code\":\"INVALID_PARAM\",\"index\":0,\"reason\":\"unknown isolation `chaos`\"}");

    JsonNode begin = db.error("database::execute", "db", "primary", "sql", "BEGIN");
    assertThat(begin.get("code").asText()).as("the shared writer must never be left inside a transaction").isEqualTo("INVALID_PARAM");
  }

  @Test
  void malformedPayloadsAreDeserializationErrors() throws Exception {
    JsonNode noDb = db.error("database::query", "sql", "SELECT 1");
    assertThat(noDb.get("code").asText()).isEqualTo("deserialization_error");
    assertThat(noDb.get("message").asText()).contains("missing field `db`");
    JsonNode params = db.error("database::execute", "db", "primary", "sql", "SELECT 1", "params", Map.of("a", 1));
    assertThat(params.get("message").asText()).contains("expected a sequence");
    JsonNode statement = db.error("database::transaction", "db", "primary", "statements", List.of(Map.of("params", List.of())));
    assertThat(statement.get("message").asText()).contains("missing field `sql`");
  }

  @Test
  void aRunawayStatementTimesOutAndTheDatabaseStaysUsable() throws Exception {
    String forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    JsonNode error = db.error("database::query", "db", "primary", "sql", forever, "timeout_ms", 200);
    assertThat(Json.write(body(error))).isEqualTo("{\"code\":\"QUERY_TIMEOUT\",\"db\":\"primary\",\"timeout_ms\":200}");

    execute("CREATE TABLE n (x)");
    JsonNode write = db.error("database::execute", "db", "primary",
        "sql", "INSERT INTO n WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c", "timeout_ms", 200);
    assertThat(write.get("code").asText()).isEqualTo("QUERY_TIMEOUT");
    assertThat(query("SELECT COUNT(*) AS n FROM n").get("rows").get(0).get("n").asInt()).as("the write was undone").isZero();
    assertThat(execute("INSERT INTO n VALUES (1)").get("affected_rows").asInt()).as("the writer is free again").isEqualTo(1);
  }

  // ------------------------------------------------------------------ transactions

  @Test
  void aTransactionCommitsEveryStatement() throws Exception {
    linklySchema();
    JsonNode result =
        db.result("database::transaction", "db", "primary", "statements",
            List.of(
                Map.of("sql", "INSERT INTO links VALUES (?, ?, ?)", "params", List.of("a", "https://a", "t")),
                Map.of("sql", "INSERT INTO clicks (code, clicked_at) VALUES (?, ?)", "params", List.of("a", "t1")),
                Map.of("sql", "SELECT code, url FROM links")));
    assertThat(Json.write(result))
        .isEqualTo("{\"committed\":true,\"results\":[{\"affected_rows\":1,\"rows\":[]},{\"affected_rows\":1,\"rows\":[]},"
            + "{\"affected_rows\":1,\"rows\":[[\"a\",\"https://a\"]]}]}");
    assertThat(query("SELECT COUNT(*) AS n FROM clicks").get("rows").get(0).get("n").asInt()).isEqualTo(1);
  }

  @Test
  void aStatementRepeatedInATransactionRunsWithEachOfItsParameters() throws Exception {
    linklySchema();
    String insert = "INSERT INTO clicks (code, clicked_at) VALUES (?, ?) RETURNING id, code";
    JsonNode result =
        db.result("database::transaction", "db", "primary", "statements",
            List.of(
                Map.of("sql", insert, "params", List.of("a", "t1")),
                Map.of("sql", insert, "params", List.of("b", "t2")),
                Map.of("sql", insert, "params", List.of("c", "t3"))));
    assertThat(Json.write(result))
        .isEqualTo("{\"committed\":true,\"results\":[{\"affected_rows\":1,\"rows\":[[1,\"a\"]]},"
            + "{\"affected_rows\":1,\"rows\":[[2,\"b\"]]},{\"affected_rows\":1,\"rows\":[[3,\"c\"]]}]}");

    JsonNode wrongCount =
        db.result("database::transaction", "db", "primary", "statements",
            List.of(Map.of("sql", insert, "params", List.of("d", "t4")), Map.of("sql", insert, "params", List.of("e"))));
    assertThat(wrongCount.get("committed").asBoolean()).isFalse();
    assertThat(wrongCount.get("failed_index").asInt()).isEqualTo(1);
    assertThat(query("SELECT COUNT(*) AS n FROM clicks").get("rows").get(0).get("n").asInt()).as("d rolled back").isEqualTo(3);
  }

  @Test
  void aFailingStatementRollsBackTheWholeTransaction() throws Exception {
    linklySchema();
    execute("INSERT INTO links VALUES ('taken', 'u', 't')");
    JsonNode result =
        db.result("database::transaction", "db", "primary", "isolation", "serializable", "statements",
            List.of(
                Map.of("sql", "INSERT INTO clicks (code, clicked_at) VALUES ('taken', 't1')"),
                Map.of("sql", "INSERT INTO links VALUES ('taken', 'again', 't')"),
                Map.of("sql", "DELETE FROM links")));
    assertThat(Json.write(result))
        .isEqualTo("{\"committed\":false,\"error\":{\"code\":\"DRIVER_ERROR\",\"driver\":\"sqlite\",\"inner_code\":\"ConstraintViolation\","
            + "\"message\":\"UNIQUE constraint failed: links.code\",\"failed_index\":1},\"failed_index\":1}");
    assertThat(query("SELECT COUNT(*) AS n FROM clicks").get("rows").get(0).get("n").asInt()).as("step 0 undone").isZero();
    assertThat(query("SELECT COUNT(*) AS n FROM links").get("rows").get(0).get("n").asInt()).isEqualTo(1);

    JsonNode multi =
        db.result("database::transaction", "db", "primary", "statements",
            List.of(Map.of("sql", "DELETE FROM links"), Map.of("sql", "SELECT 1; SELECT 2")));
    assertThat(multi.get("committed").asBoolean()).isFalse();
    assertThat(multi.get("failed_index").asInt()).isEqualTo(1);
    assertThat(multi.get("error").get("inner_code").asText()).isEqualTo("MULTI_STATEMENT");
    assertThat(query("SELECT COUNT(*) AS n FROM links").get("rows").get(0).get("n").asInt()).isEqualTo(1);

    JsonNode slow =
        db.result("database::transaction", "db", "primary", "timeout_ms", 200, "statements",
            List.of(Map.of("sql", "DELETE FROM links"),
                Map.of("sql", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")));
    assertThat(slow.get("error").get("code").asText()).isEqualTo("QUERY_TIMEOUT");
    assertThat(slow.get("failed_index").asInt()).isEqualTo(1);
    assertThat(query("SELECT COUNT(*) AS n FROM links").get("rows").get(0).get("n").asInt()).isEqualTo(1);

    JsonNode empty = db.result("database::transaction", "db", "primary", "statements", List.of());
    assertThat(Json.write(empty)).isEqualTo("{\"committed\":true,\"results\":[]}");
  }

  // ------------------------------------------------------------------ concurrency and lifecycle

  @Test
  void concurrentWritesAndReadsAllSucceed() throws Exception {
    linklySchema();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      ids.add(db.send("database::execute", DbClient.payload("db", "primary",
          "sql", "INSERT INTO clicks (code, clicked_at) VALUES (?, ?)", "params", List.of("c", "t" + i))));
      if (i % 4 == 0) {
        ids.add(db.send("database::query", DbClient.payload("db", "primary", "sql", "SELECT COUNT(*) AS n FROM clicks")));
      }
    }
    for (String id : ids) {
      JsonNode answer = db.worker().next(m -> id.equals(m.path("invocation_id").asText()), Duration.ofSeconds(30));
      assertThat(answer).isNotNull();
      assertThat(answer.has("error")).as("%s", answer).isFalse();
    }
    assertThat(query("SELECT COUNT(*) AS n FROM clicks").get("rows").get(0).get("n").asInt()).isEqualTo(200);
  }

  @Test
  void waitingTooLongForTheWriterIsPoolTimeout() throws Exception {
    Path file = dir.resolve("busy.db");
    ObjectNode databases = Json.object();
    databases.putObject("primary").put("url", "sqlite:" + file).putObject("pool").put("acquire_timeout_ms", 300);
    try (IiiEngine other = IiiEngine.start(EngineConfig.ephemeral().withSetting("database", "databases", databases));
        DbClient client = new DbClient(other.workerUrl());
        Connection probe = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      client.result("database::execute", "db", "primary", "sql", "CREATE TABLE t (x)");
      String holder = client.send("database::transaction", DbClient.payload("db", "primary", "timeout_ms", 2_000,
          "statements", List.of(Map.of("sql", "INSERT INTO t VALUES (1)"),
              Map.of("sql", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"))));
      try (Statement s = probe.createStatement()) {
        s.execute("PRAGMA busy_timeout = 0");
        await().atMost(Duration.ofSeconds(10)).until(() -> writeLockTaken(s)); // the transaction holds the writer now
      }
      JsonNode error = client.error("database::execute", "db", "primary", "sql", "INSERT INTO t VALUES (2)");
      assertThat(Json.write(body(error))).isEqualTo("{\"code\":\"POOL_TIMEOUT\",\"db\":\"primary\",\"waited_ms\":300}");
      JsonNode held = client.worker().next(m -> holder.equals(m.path("invocation_id").asText()), Duration.ofSeconds(30));
      assertThat(held.get("result").get("error").get("code").asText()).isEqualTo("QUERY_TIMEOUT");
    }
  }

  private static boolean writeLockTaken(Statement s) throws SQLException {
    try {
      s.execute("BEGIN IMMEDIATE");
      s.execute("ROLLBACK");
      return false;
    } catch (SQLException e) {
      if (e.getMessage().contains("SQLITE_BUSY")) {
        return true;
      }
      throw e;
    }
  }

  @Test
  void anUnreachablePostgresFailsItsCallsButNotTheEngine() throws Exception {
    ObjectNode databases = Json.object();
    databases.putObject("primary").put("url", "sqlite:" + dir.resolve("other.db"));
    databases.putObject("gone").put("url", "postgres://nobody:secret@127.0.0.1:1/none").putObject("pool").put("acquire_timeout_ms", 300);
    try (IiiEngine other = IiiEngine.start(EngineConfig.ephemeral().withSetting("database", "databases", databases));
        DbClient client = new DbClient(other.workerUrl())) {
      JsonNode body = body(client.error("database::query", "db", "gone", "sql", "SELECT 1"));
      assertThat(body.get("code").asText()).isEqualTo("DRIVER_ERROR");
      assertThat(body.get("inner_code").asText()).isEqualTo("08001");
      assertThat(body.get("message").asText()).isEqualTo("pool connection failed; check server availability");
      assertThat(client.result("database::query", "db", "primary", "sql", "SELECT 1 AS one").get("row_count").asInt()).isEqualTo(1);
    }
  }

  @Test
  void aFileThatCannotBeOpenedFailsTheEngineStart() throws Exception {
    Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
    assertThatThrownBy(() -> IiiEngine.start(config(notADirectory.resolve("iii.db"))))
        .isInstanceOf(StartupException.class)
        .hasMessageStartingWith("database cannot use " + notADirectory.resolve("iii.db"))
        .hasMessageContaining(".config.databases.primary.url: " + notADirectory + " is not a directory)");
  }
}
