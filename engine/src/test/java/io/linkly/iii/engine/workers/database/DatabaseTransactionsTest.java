package io.linkly.iii.engine.workers.database;

import static io.linkly.iii.engine.workers.database.DbClient.body;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.protocol.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Interactive transactions (database::beginTransaction …) over SQLite, called over a real worker socket. */
class DatabaseTransactionsTest {

  @TempDir Path dir;
  private IiiEngine engine;
  private DbClient db;

  @BeforeEach
  void start() throws Exception {
    ObjectNode databases = Json.object();
    // a short wait for the writer: a connection a transaction never gave back shows as POOL_TIMEOUT
    databases.putObject("primary").put("url", "sqlite:" + dir.resolve("iii.db")).putObject("pool").put("acquire_timeout_ms", 3_000);
    engine = IiiEngine.start(EngineConfig.ephemeral().withSetting("database", "databases", databases));
    db = new DbClient(engine.workerUrl());
    execute("CREATE TABLE links (code TEXT PRIMARY KEY, url TEXT NOT NULL)");
  }

  @AfterEach
  void stop() {
    db.close();
    engine.close();
  }

  private JsonNode execute(String sql, Object... params) throws Exception {
    return db.result("database::execute", "db", "primary", "sql", sql, "params", Arrays.asList(params));
  }

  private int count() throws Exception {
    return db.result("database::query", "db", "primary", "sql", "SELECT COUNT(*) AS n FROM links").get("rows").get(0).get("n").asInt();
  }

  private String begin(Object... extra) throws Exception {
    Object[] payload = new Object[extra.length + 2];
    payload[0] = "db";
    payload[1] = "primary";
    System.arraycopy(extra, 0, payload, 2, extra.length);
    return db.result("database::beginTransaction", payload).get("transaction").get("id").asText();
  }

  private JsonNode txExecute(String id, String sql, Object... params) throws Exception {
    return db.result("database::transactionExecute", "transaction_id", id, "sql", sql, "params", Arrays.asList(params));
  }

  private JsonNode notFound(String function, Object... payload) throws Exception {
    JsonNode error = db.error(function, payload);
    assertThat(error.get("code").asText()).isEqualTo("TRANSACTION_NOT_FOUND");
    return body(error);
  }

  @Test
  void aCommitMakesTheRowsVisibleToEveryone() throws Exception {
    JsonNode begun = db.result("database::beginTransaction", "db", "primary", "timeout_ms", 10_000);
    String id = begun.get("transaction").get("id").asText();
    Instant expiresAt = Instant.parse(begun.get("transaction").get("expires_at").asText());
    assertThat(expiresAt).isBetween(Instant.now().plusSeconds(8), Instant.now().plusSeconds(11));

    JsonNode inserted = txExecute(id, "INSERT INTO links VALUES (?, ?)", "a", "https://a");
    assertThat(Json.write(inserted)).isEqualTo("{\"affected_rows\":1,\"last_insert_id\":\"1\",\"returned_rows\":[]}");
    txExecute(id, "INSERT INTO links VALUES (?, ?)", "b", "https://b");
    JsonNode inside = db.result("database::transactionQuery", "transaction_id", id, "sql", "SELECT code FROM links ORDER BY code", "params", List.of());
    assertThat(Json.write(inside))
        .as("the transaction sees its own writes")
        .isEqualTo("{\"columns\":[{\"name\":\"code\",\"type\":\"TEXT\"}],\"row_count\":2,\"rows\":[{\"code\":\"a\"},{\"code\":\"b\"}]}");
    assertThat(count()).as("nobody else does before the commit").isZero();

    assertThat(Json.write(db.result("database::commitTransaction", "transaction_id", id))).isEqualTo("{\"committed\":true}");
    assertThat(count()).isEqualTo(2);
    assertThat(Json.write(notFound("database::commitTransaction", "transaction_id", id)))
        .isEqualTo("{\"code\":\"TRANSACTION_NOT_FOUND\",\"transaction_id\":\"" + id + "\",\"state\":\"committed\"}");
  }

  @Test
  void aRollbackLeavesNothing() throws Exception {
    String id = begin();
    txExecute(id, "INSERT INTO links VALUES (?, ?)", "a", "https://a");
    assertThat(Json.write(db.result("database::rollbackTransaction", "transaction_id", id))).isEqualTo("{\"rolled_back\":true}");
    assertThat(count()).isZero();
    assertThat(notFound("database::transactionExecute", "transaction_id", id, "sql", "DELETE FROM links").get("state").asText())
        .isEqualTo("rolled_back");
    assertThat(execute("INSERT INTO links VALUES ('c', 'u')").get("affected_rows").asInt()).as("the writer is free again").isEqualTo(1);
  }

  @Test
  void aTimeoutRollsBackAndGivesTheConnectionBack() throws Exception {
    String id = begin("timeout_ms", 300);
    txExecute(id, "INSERT INTO links VALUES (?, ?)", "held", "https://held");
    // SQLite has one writer and the transaction holds it: this waits for the timeout to free it,
    // and would end in POOL_TIMEOUT (3 s) if the connection were never given back
    long start = System.nanoTime();
    assertThat(execute("INSERT INTO links VALUES ('after', 'u')").get("affected_rows").asInt()).isEqualTo(1);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2_900));
    assertThat(db.result("database::query", "db", "primary", "sql", "SELECT code FROM links").get("rows"))
        .as("the transaction's insert was rolled back")
        .isEqualTo(Json.mapper().readTree("[{\"code\":\"after\"}]"));
    assertThat(notFound("database::commitTransaction", "transaction_id", id).get("state").asText()).isEqualTo("expired");
    String next = begin();
    assertThat(Json.write(db.result("database::commitTransaction", "transaction_id", next)))
        .as("its place among the open transactions is free again").isEqualTo("{\"committed\":true}");
  }

  @Test
  void aStatementStillRunningAtTheTimeoutIsCutOffAndRolledBack() throws Exception {
    String id = begin("timeout_ms", 400);
    txExecute(id, "INSERT INTO links VALUES (?, ?)", "a", "https://a");
    JsonNode error = db.error("database::transactionQuery", "transaction_id", id,
        "sql", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c");
    assertThat(Json.write(body(error)))
        .isEqualTo("{\"code\":\"QUERY_TIMEOUT\",\"db\":\"primary\",\"timeout_ms\":400,\"rolled_back\":true}");
    assertThat(count()).isZero();
    assertThat(execute("INSERT INTO links VALUES ('b', 'u')").get("affected_rows").asInt()).isEqualTo(1);
  }

  @Test
  void aFailingStatementRollsTheTransactionBackAndEndsIt() throws Exception {
    execute("INSERT INTO links VALUES ('taken', 'u')");
    String id = begin();
    txExecute(id, "INSERT INTO links VALUES (?, ?)", "a", "https://a");
    JsonNode error = db.error("database::transactionExecute", "transaction_id", id, "sql", "INSERT INTO links VALUES ('taken', 'again')");
    assertThat(Json.write(body(error)))
        .isEqualTo("{\"code\":\"DRIVER_ERROR\",\"driver\":\"sqlite\",\"inner_code\":\"ConstraintViolation\","
            + "\"message\":\"UNIQUE constraint failed: links.code\",\"rolled_back\":true}");
    assertThat(count()).as("only the row from before").isEqualTo(1);
    assertThat(notFound("database::commitTransaction", "transaction_id", id).get("state").asText()).isEqualTo("rolled_back");
  }

  @Test
  void aCallRefusedBeforeItRunsLeavesTheTransactionOpen() throws Exception {
    String id = begin();
    txExecute(id, "INSERT INTO links VALUES (?, ?)", "a", "https://a");
    JsonNode multi = body(db.error("database::transactionExecute", "transaction_id", id, "sql", "DELETE FROM links; DROP TABLE links"));
    assertThat(multi.get("inner_code").asText()).isEqualTo("MULTI_STATEMENT");
    JsonNode commit = db.error("database::transactionExecute", "transaction_id", id, "sql", "COMMIT");
    assertThat(commit.get("code").asText()).as("transaction control belongs to the engine").isEqualTo("INVALID_PARAM");
    JsonNode params = body(db.error("database::transactionExecute", "transaction_id", id, "sql", "INSERT INTO links VALUES (?, ?)", "params", List.of("x")));
    assertThat(params.get("message").asText()).isEqualTo("Wrong number of parameters passed to query. Got 1, needed 2");
    db.result("database::commitTransaction", "transaction_id", id);
    assertThat(count()).isEqualTo(1);
  }

  @Test
  void returningReportsOnlyTheRowsThatWereInserted() throws Exception {
    execute("INSERT INTO links VALUES ('taken', 'u')");
    String id = begin();
    JsonNode result =
        db.result("database::transactionExecute", "transaction_id", id,
            "sql", "INSERT INTO links (code, url) VALUES (?, ?), (?, ?), (?, ?) ON CONFLICT(code) DO NOTHING",
            "params", List.of("a", "u", "taken", "u", "b", "u"), "returning", List.of("code"));
    assertThat(result.get("affected_rows").asInt()).isEqualTo(2);
    assertThat(result.get("returned_rows")).isEqualTo(Json.mapper().readTree("[{\"code\":\"a\"},{\"code\":\"b\"}]"));
    db.result("database::commitTransaction", "transaction_id", id);
    assertThat(count()).isEqualTo(3);
  }

  @Test
  void anUnknownIdIsTransactionNotFoundForEveryCall() throws Exception {
    String id = "00000000-0000-0000-0000-000000000000";
    String expected = "{\"code\":\"TRANSACTION_NOT_FOUND\",\"transaction_id\":\"" + id + "\",\"state\":\"unknown\"}";
    assertThat(Json.write(notFound("database::transactionQuery", "transaction_id", id, "sql", "SELECT 1"))).isEqualTo(expected);
    assertThat(Json.write(notFound("database::transactionExecute", "transaction_id", id, "sql", "DELETE FROM links"))).isEqualTo(expected);
    assertThat(Json.write(notFound("database::commitTransaction", "transaction_id", id))).isEqualTo(expected);
    assertThat(Json.write(notFound("database::rollbackTransaction", "transaction_id", id))).isEqualTo(expected);
    assertThat(db.error("database::commitTransaction").get("message").asText()).contains("missing field `transaction_id`");
  }

  @Test
  void openTransactionsAreBoundedAndTimeoutsTooLongAreRefused() throws Exception {
    String id = begin();
    JsonNode second = db.error("database::beginTransaction", "db", "primary");
    assertThat(second.get("code").asText()).isEqualTo("TOO_MANY_TRANSACTIONS");
    assertThat(body(second).get("limit").asInt()).as("SQLite's one writer").isEqualTo(1);
    db.result("database::rollbackTransaction", "transaction_id", id);
    db.result("database::rollbackTransaction", "transaction_id", begin());

    JsonNode tooLong = db.error("database::beginTransaction", "db", "primary", "timeout_ms", 300_001);
    assertThat(Json.write(body(tooLong))).isEqualTo("{\"code\":\"INVALID_PARAM\",\"index\":0,\"reason\":\"timeout_ms must be 1 to 300000, got 300001\"}");
    assertThat(db.error("database::beginTransaction", "db", "primary", "timeout_ms", 0).get("code").asText()).isEqualTo("INVALID_PARAM");
    assertThat(db.error("database::beginTransaction", "db", "nowhere").get("code").asText()).isEqualTo("UNKNOWN_DB");
    assertThat(db.error("database::beginTransaction", "db", "primary", "isolation", "chaos").get("code").asText()).isEqualTo("INVALID_PARAM");
  }
}
