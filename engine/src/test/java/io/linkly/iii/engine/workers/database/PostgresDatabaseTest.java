package io.linkly.iii.engine.workers.database;

import static io.linkly.iii.engine.workers.database.DbClient.body;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.protocol.Json;
import io.linkly.testing.LocalService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * database::* against the local PostgreSQL (127.0.0.1:5432, trust auth), in a schema of its own
 * that is dropped afterwards. Required when CI=true; elsewhere skipped, with the reason printed,
 * if the server is not there.
 */
class PostgresDatabaseTest {

  private static final String ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/test";
  private static final String SCHEMA = "iii_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

  private IiiEngine engine;
  private DbClient db;

  @BeforeAll
  static void createSchema() {
    try (Connection c = DriverManager.getConnection(ADMIN_URL, "postgres", ""); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + SCHEMA);
    } catch (SQLException e) {
      LocalService.unavailable(
          "PostgresDatabaseTest",
          "PostgreSQL at 127.0.0.1:5432 (database test, user postgres) is not reachable: " + e.getMessage());
    }
  }

  @AfterAll
  static void dropSchema() throws SQLException {
    try (Connection c = DriverManager.getConnection(ADMIN_URL, "postgres", ""); Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
    }
  }

  @BeforeEach
  void start() throws Exception {
    ObjectNode databases = Json.object();
    databases.putObject("pg").put("url", "postgres://postgres@127.0.0.1:5432/test?currentSchema=" + SCHEMA);
    engine = IiiEngine.start(EngineConfig.ephemeral().withSetting("database", "databases", databases));
    db = new DbClient(engine.workerUrl());
    execute("DROP TABLE IF EXISTS items");
    execute("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL UNIQUE, qty int4, big int8, price numeric(10,2),"
        + " ok bool, meta jsonb, at timestamptz, raw bytea, ratio float8, label varchar(20))");
  }

  @AfterEach
  void stop() {
    db.close();
    engine.close();
  }

  private JsonNode execute(String sql, Object... params) throws Exception {
    return db.result("database::execute", "db", "pg", "sql", sql, "params", Arrays.asList(params));
  }

  private JsonNode query(String sql, Object... params) throws Exception {
    return db.result("database::query", "db", "pg", "sql", sql, "params", Arrays.asList(params));
  }

  @Test
  void typesAndValuesMapAsUpstreamDoes() throws Exception {
    JsonNode inserted =
        db.result("database::execute", "db", "pg",
            "sql", "INSERT INTO items (name, qty, big, price, ok, meta, at, raw, ratio, label)"
                + " VALUES ($1, $2, $3, $4, $5, $6, $7, decode($8, 'hex'), $9, $1)",
            "params", List.of("widget", 3, 9007199254740993L, 12.5, true, Map.of("k", List.of(1, 2)),
                "2026-08-07T10:00:00.789Z", "ff0010", 0.5),
            "returning", List.of("id"));
    assertThat(Json.write(inserted)).isEqualTo("{\"affected_rows\":1,\"last_insert_id\":\"1\",\"returned_rows\":[{\"id\":1}]}");

    JsonNode result = query("SELECT id, name, qty, big, price, ok, meta, at, raw, ratio, label, COUNT(*) OVER () AS n FROM items");
    assertThat(result.get("columns").findValuesAsText("type"))
        .containsExactly("int4", "text", "int4", "int8", "numeric", "bool", "jsonb", "timestamptz", "bytea", "float8", "varchar", "int8");
    assertThat(Json.write(result.get("rows").get(0)))
        .isEqualTo("{\"id\":1,\"name\":\"widget\",\"qty\":3,\"big\":\"9007199254740993\",\"price\":\"12.50\",\"ok\":true,"
            + "\"meta\":{\"k\":[1,2]},\"at\":\"2026-08-07T10:00:00Z\",\"raw\":\"/wAQ\",\"ratio\":0.5,\"label\":\"widget\",\"n\":\"1\"}");
    assertThat(result.get("row_count").asInt()).isEqualTo(1);

    assertThat(query("SELECT $1::int4 + $1::int4 AS twice", 21).get("rows").get(0).get("twice").asInt()).isEqualTo(42);
    assertThat(query("SELECT meta ? 'k' AS has FROM items").get("rows").get(0).get("has").asBoolean())
        .as("a jsonb ? operator is not a placeholder").isTrue();
    assertThat(query("SELECT name FROM items WHERE qty = $1 AND ok = $2", 3, true).get("row_count").asInt()).isEqualTo(1);
    JsonNode none = query("SELECT name FROM items WHERE name = $1", "absent");
    assertThat(none.get("rows")).isEmpty();
    assertThat(none.get("columns").get(0).get("type").asText()).isEqualTo("text");
  }

  @Test
  void executeCountsRowsAndReadsIdsFromReturning() throws Exception {
    JsonNode plain = execute("INSERT INTO items (name) VALUES ($1), ($2)", "a", "b");
    assertThat(Json.write(plain)).isEqualTo("{\"affected_rows\":2,\"last_insert_id\":null,\"returned_rows\":[]}");
    JsonNode returning = execute("INSERT INTO items (name) VALUES ($1) RETURNING id, name", "c");
    assertThat(returning.get("last_insert_id").asText()).isEqualTo("3");
    assertThat(returning.get("returned_rows")).isEqualTo(Json.mapper().readTree("[{\"id\":3,\"name\":\"c\"}]"));
    assertThat(execute("UPDATE items SET qty = 1").get("affected_rows").asInt()).isEqualTo(3);
    assertThat(execute("CREATE INDEX items_qty ON items (qty)").get("affected_rows").asInt()).isZero();
  }

  @Test
  void errorsCarryTheSqlState() throws Exception {
    execute("INSERT INTO items (name) VALUES ($1)", "dup");
    JsonNode error = db.error("database::execute", "db", "pg", "sql", "INSERT INTO items (name) VALUES ($1)", "params", List.of("dup"));
    assertThat(error.get("code").asText()).isEqualTo("DRIVER_ERROR");
    JsonNode body = body(error);
    assertThat(body.get("driver").asText()).isEqualTo("postgres");
    assertThat(body.get("inner_code").asText()).isEqualTo("23505");
    assertThat(body.get("message").asText())
        .startsWith("db error: ERROR: duplicate key value violates unique constraint \"items_name_key\"")
        .contains("DETAIL: Key (name)=(dup) already exists.");

    JsonNode multi = body(db.error("database::execute", "db", "pg", "sql", "DELETE FROM items; DROP TABLE items"));
    assertThat(multi.get("inner_code").asText()).isEqualTo("MULTI_STATEMENT");
    assertThat(query("SELECT COUNT(*) AS n FROM items").get("rows").get(0).get("n").asText()).isEqualTo("1");

    JsonNode count = body(db.error("database::query", "db", "pg", "sql", "SELECT $1, $2", "params", List.of(1)));
    assertThat(count.get("message").asText()).isEqualTo("expected 2 parameters but got 1");

    execute("CREATE FUNCTION one() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql");
    assertThat(query("SELECT one() AS v").get("rows").get(0).get("v").asInt()).as("a $$ body is one statement").isEqualTo(1);
  }

  @Test
  void aSlowStatementTimesOut() throws Exception {
    JsonNode error = db.error("database::query", "db", "pg", "sql", "SELECT pg_sleep(30)", "timeout_ms", 300);
    assertThat(Json.write(body(error))).isEqualTo("{\"code\":\"QUERY_TIMEOUT\",\"db\":\"pg\",\"timeout_ms\":300}");
    assertThat(query("SELECT 1 AS one").get("rows").get(0).get("one").asInt()).isEqualTo(1);
  }

  @Test
  void transactionsCommitOrRollBackAsAWhole() throws Exception {
    JsonNode committed =
        db.result("database::transaction", "db", "pg", "isolation", "repeatable_read", "statements",
            List.of(
                Map.of("sql", "INSERT INTO items (name, qty) VALUES ($1, $2)", "params", List.of("t1", 1)),
                Map.of("sql", "UPDATE items SET qty = qty + 1 WHERE name = $1 RETURNING qty", "params", List.of("t1")),
                Map.of("sql", "SELECT name, qty FROM items")));
    assertThat(Json.write(committed))
        .isEqualTo("{\"committed\":true,\"results\":[{\"affected_rows\":1,\"rows\":[]},{\"affected_rows\":1,\"rows\":[[2]]},"
            + "{\"affected_rows\":1,\"rows\":[[\"t1\",2]]}]}");

    JsonNode rolledBack =
        db.result("database::transaction", "db", "pg", "statements",
            List.of(
                Map.of("sql", "DELETE FROM items"),
                Map.of("sql", "INSERT INTO items (name) VALUES (NULL)")));
    assertThat(rolledBack.get("committed").asBoolean()).isFalse();
    assertThat(rolledBack.get("failed_index").asInt()).isEqualTo(1);
    assertThat(rolledBack.get("error").get("inner_code").asText()).isEqualTo("23502");
    assertThat(rolledBack.get("error").get("failed_index").asInt()).isEqualTo(1);
    assertThat(query("SELECT COUNT(*) AS n FROM items").get("rows").get(0).get("n").asText()).as("the DELETE was undone").isEqualTo("1");
    assertThat(execute("INSERT INTO items (name) VALUES ('after')").get("affected_rows").asInt())
        .as("the pooled connection is usable after the rollback").isEqualTo(1);
  }

  // ------------------------------------------------------------------ interactive transactions

  private String begin(Object... extra) throws Exception {
    Object[] payload = new Object[extra.length + 2];
    payload[0] = "db";
    payload[1] = "pg";
    System.arraycopy(extra, 0, payload, 2, extra.length);
    return db.result("database::beginTransaction", payload).get("transaction").get("id").asText();
  }

  private JsonNode txExecute(String id, String sql, Object... params) throws Exception {
    return db.result("database::transactionExecute", "transaction_id", id, "sql", sql, "params", Arrays.asList(params));
  }

  private String count() throws Exception {
    return query("SELECT COUNT(*) AS n FROM items").get("rows").get(0).get("n").asText();
  }

  @Test
  void anInteractiveTransactionCommitsOrRollsBack() throws Exception {
    String id = begin("isolation", "serializable");
    JsonNode inserted =
        db.result("database::transactionExecute", "transaction_id", id, "sql", "INSERT INTO items (name) VALUES ($1), ($2)",
            "params", List.of("a", "b"), "returning", List.of("name"));
    assertThat(inserted.get("returned_rows")).isEqualTo(Json.mapper().readTree("[{\"name\":\"a\"},{\"name\":\"b\"}]"));
    JsonNode inside = db.result("database::transactionQuery", "transaction_id", id, "sql", "SELECT COUNT(*) AS n FROM items", "params", List.of());
    assertThat(inside.get("rows").get(0).get("n").asText()).isEqualTo("2");
    assertThat(count()).as("not visible before the commit").isEqualTo("0");
    assertThat(Json.write(db.result("database::commitTransaction", "transaction_id", id))).isEqualTo("{\"committed\":true}");
    assertThat(count()).isEqualTo("2");

    String undone = begin();
    txExecute(undone, "DELETE FROM items");
    assertThat(Json.write(db.result("database::rollbackTransaction", "transaction_id", undone))).isEqualTo("{\"rolled_back\":true}");
    assertThat(count()).isEqualTo("2");

    String failing = begin();
    txExecute(failing, "DELETE FROM items");
    JsonNode error = body(db.error("database::transactionExecute", "transaction_id", failing, "sql", "INSERT INTO items (name) VALUES (NULL)"));
    assertThat(error.get("inner_code").asText()).isEqualTo("23502");
    assertThat(error.get("rolled_back").asBoolean()).isTrue();
    JsonNode gone = body(db.error("database::commitTransaction", "transaction_id", failing));
    assertThat(gone.get("code").asText()).as("no commit that would silently roll back").isEqualTo("TRANSACTION_NOT_FOUND");
    assertThat(count()).as("the DELETE was undone").isEqualTo("2");
  }

  @Test
  void timedOutTransactionsRollBackAndGiveTheirConnectionsBack() throws Exception {
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) { // half the default pool of 10
      String id = begin("timeout_ms", 300);
      txExecute(id, "INSERT INTO items (name) VALUES ($1)", "held" + i);
      ids.add(id);
    }
    JsonNode refused = db.error("database::beginTransaction", "db", "pg");
    assertThat(refused.get("code").asText()).isEqualTo("TOO_MANY_TRANSACTIONS");
    assertThat(body(refused).get("limit").asInt()).isEqualTo(5);
    assertThat(execute("INSERT INTO items (name) VALUES ('free')").get("affected_rows").asInt())
        .as("the other half of the pool serves everyone else").isEqualTo(1);

    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() -> {
      for (String id : ids) {
        JsonNode error = db.error("database::transactionQuery", "transaction_id", id, "sql", "SELECT 1");
        assertThat(body(error).get("state").asText()).isEqualTo("expired");
      }
    });
    List<String> again = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      again.add(begin());
    }
    for (String id : again) {
      db.result("database::rollbackTransaction", "transaction_id", id);
    }
    assertThat(query("SELECT name FROM items").get("rows")).isEqualTo(Json.mapper().readTree("[{\"name\":\"free\"}]"));
  }
}
