package io.linkly.app.sql;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One of Linkly's databases, reached through the engine's {@code database::*} functions. Linkly's
 * SQL is written once, with {@code ?} parameters; this sends it in the form the database takes
 * ({@link SqlDialect#numbered}), so the same statements run on SQLite and PostgreSQL.
 */
public final class SqlDatabase {

  /** One statement of {@link #transaction}. */
  public record Statement(String sql, List<?> params) {}

  private final Iii iii;
  private final String name;
  private volatile SqlDialect dialect;

  public SqlDatabase(Iii iii, String name) {
    this.iii = iii;
    this.name = name;
  }

  /**
   * Which database this is, asked once of the database worker (PostgreSQL answers
   * {@code version()}; SQLite has no such function). Throws while the worker cannot answer.
   */
  public SqlDialect dialect() {
    SqlDialect known = dialect;
    if (known == null) {
      try {
        JsonNode rows = call("database::query", Map.of("db", name, "sql", "SELECT version() AS v", "params", List.of())).path("rows");
        known = rows.path(0).path("v").asText("").startsWith("PostgreSQL") ? SqlDialect.POSTGRES : SqlDialect.SQLITE;
      } catch (IiiException e) {
        if (!"DRIVER_ERROR".equals(e.code())) {
          throw e; // the database worker is not there yet: the caller retries
        }
        known = SqlDialect.SQLITE; // "no such function: version"
      }
      dialect = known;
    }
    return known;
  }

  /** {@code {columns, row_count, rows}}, rows as objects. */
  public JsonNode query(String sql, List<?> params) {
    return call("database::query", Map.of("db", name, "sql", dialect().numbered(sql), "params", params));
  }

  /** {@code {affected_rows, last_insert_id?, returned_rows?}}. */
  public JsonNode execute(String sql, List<?> params) {
    return call("database::execute", Map.of("db", name, "sql", dialect().numbered(sql), "params", params));
  }

  /** {@link #execute}, or the same inside {@code transactionId} when it is not null, without waiting. */
  public CompletableFuture<JsonNode> executeAsync(String sql, List<?> params, String transactionId) {
    String text = dialect().numbered(sql);
    return iii.triggerAsync(
        transactionId == null
            ? TriggerRequest.of("database::execute", Map.of("db", name, "sql", text, "params", params))
            : TriggerRequest.of("database::transactionExecute", Map.of("transaction_id", transactionId, "sql", text, "params", params)));
  }

  /**
   * What went wrong, as a sentence: a database error's message is its whole body as JSON text
   * (upstream's wire shape, {@code {code, driver, inner_code, message}}), whose message is taken
   * out; any other error's message as it is.
   */
  public static String reason(IiiException e) {
    String message = String.valueOf(e.getMessage());
    if (message.startsWith("{")) {
      try {
        JsonNode body = Json.mapper().readTree(message);
        if (body.path("message").isTextual()) {
          return body.get("message").asText();
        }
      } catch (java.io.IOException | RuntimeException notJson) {
        // a message that only starts like JSON: shown as it is
      }
    }
    return message;
  }

  /** Runs {@code statements} in one transaction: {@code {committed, results: [{affected_rows, rows: [[…]]}]}}. */
  public JsonNode transaction(List<Statement> statements) {
    List<Map<String, Object>> sent = new ArrayList<>(statements.size());
    for (Statement s : statements) {
      sent.add(Map.of("sql", dialect().numbered(s.sql()), "params", s.params()));
    }
    return call("database::transaction", Map.of("db", name, "statements", sent));
  }

  /** Opens an interactive transaction; it rolls back by itself after {@code timeout}. Returns its id. */
  public String begin(Duration timeout) {
    return call("database::beginTransaction", Map.of("db", name, "timeout_ms", timeout.toMillis())).path("transaction").path("id").asText();
  }

  /** {@link #query} inside an open transaction. */
  public JsonNode queryIn(String transactionId, String sql, List<?> params) {
    return call("database::transactionQuery", Map.of("transaction_id", transactionId, "sql", dialect().numbered(sql), "params", params));
  }

  /** {@link #execute} inside an open transaction. */
  public JsonNode executeIn(String transactionId, String sql, List<?> params) {
    return call("database::transactionExecute", Map.of("transaction_id", transactionId, "sql", dialect().numbered(sql), "params", params));
  }

  public void commit(String transactionId) {
    call("database::commitTransaction", Map.of("transaction_id", transactionId));
  }

  public void rollback(String transactionId) {
    call("database::rollbackTransaction", Map.of("transaction_id", transactionId));
  }

  private JsonNode call(String function, Map<String, Object> payload) {
    return iii.trigger(TriggerRequest.of(function, payload));
  }
}
