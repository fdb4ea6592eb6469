package io.linkly.app.link;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Linkly's data, reached only through the engine: links and clicks in the {@code primary}
 * database, and the {@code links} state scope as a cache in front of it (LINKLY.md Ch. 3).
 */
public final class LinkStore {

  static final String DB = "primary";
  static final String CACHE_SCOPE = "links";

  private static final List<String> SCHEMA =
      List.of(
          "CREATE TABLE IF NOT EXISTS links (code TEXT PRIMARY KEY, url TEXT NOT NULL, created_at TEXT NOT NULL)",
          "CREATE TABLE IF NOT EXISTS clicks (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL, clicked_at TEXT NOT NULL)");

  private final Iii iii;

  public LinkStore(Iii iii) {
    this.iii = iii;
  }

  /**
   * Creates the tables, retrying until the database worker answers: Linkly's workers may start
   * before the engine has finished starting its own.
   */
  public void ensureSchema(Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    Duration pause = Duration.ofMillis(100);
    while (true) {
      try {
        for (String ddl : SCHEMA) {
          execute(ddl, List.of());
        }
        return;
      } catch (IiiException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(pause.toMillis());
        pause = pause.multipliedBy(2).compareTo(Duration.ofSeconds(2)) > 0 ? Duration.ofSeconds(2) : pause.multipliedBy(2);
      }
    }
  }

  /** Inserts a link; false when the code is taken. */
  public boolean insertLink(String code, String url, String createdAt) {
    try {
      execute("INSERT INTO links (code, url, created_at) VALUES (?, ?, ?)", List.of(code, url, createdAt));
      return true;
    } catch (IiiException e) {
      if (isUniqueViolation(e)) {
        return false;
      }
      throw e;
    }
  }

  public Optional<String> findUrl(String code) {
    JsonNode result = query("SELECT url FROM links WHERE code = ?", List.of(code));
    JsonNode rows = result == null ? null : result.get("rows");
    if (rows == null || rows.isEmpty()) {
      return Optional.empty();
    }
    return Optional.ofNullable(rows.get(0).path("url").textValue());
  }

  /** Records a click; returns its row id, which tells two clicks of the same millisecond apart. */
  public String insertClick(String code, String clickedAt) {
    JsonNode result = execute("INSERT INTO clicks (code, clicked_at) VALUES (?, ?)", List.of(code, clickedAt));
    return result == null ? null : result.path("last_insert_id").asText(null);
  }

  public Optional<String> cachedUrl(String code) {
    JsonNode value = iii.trigger(TriggerRequest.of("state::get", Map.of("scope", CACHE_SCOPE, "key", code)));
    return value == null ? Optional.empty() : Optional.ofNullable(value.path("url").textValue());
  }

  public void cache(String code, String url) {
    iii.trigger(TriggerRequest.of("state::set", Map.of("scope", CACHE_SCOPE, "key", code, "value", Map.of("url", url))));
  }

  private JsonNode execute(String sql, List<Object> params) {
    return iii.trigger(TriggerRequest.of("database::execute", Map.of("db", DB, "sql", sql, "params", params)));
  }

  private JsonNode query(String sql, List<Object> params) {
    return iii.trigger(TriggerRequest.of("database::query", Map.of("db", DB, "sql", sql, "params", params)));
  }

  /** The database worker reports a UNIQUE/PRIMARY KEY violation as DRIVER_ERROR. */
  static boolean isUniqueViolation(IiiException e) {
    String message = String.valueOf(e.getMessage());
    return "DRIVER_ERROR".equals(e.code())
        && (message.contains("UNIQUE constraint failed") || message.contains("duplicate key") || message.contains("ConstraintViolation"));
  }
}
