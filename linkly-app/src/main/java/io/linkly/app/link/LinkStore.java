package io.linkly.app.link;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import io.linkly.app.sql.SqlDatabase;
import io.linkly.app.sql.SqlDialect;
import io.linkly.app.visit.Visit;

/**
 * Linkly's data, reached only through the engine: links and clicks in the {@code primary}
 * database, and the {@code links} state scope as a cache in front of it (LINKLY.md Ch. 3).
 */
public final class LinkStore implements ClickRecorder.Store {

  /** The database that holds links and clicks. */
  public static final String DB = "primary";
  static final String CACHE_SCOPE = "links";

  /**
   * The tutorial's tables, plus two columns of {@code clicks}: {@code click_key}, the idempotency
   * key a redirect gives its queued click, so that a retry after the insert committed records
   * nothing twice; and {@code streamed}, the click's outbox flag: 0 until the click-streamer has put
   * it on the live stream, so that an announcement a crash lost is made good (ClickReconciler).
   * Every insert sets {@code streamed = 0}; the column's default 1 is for the rows of a database
   * made before the column existed, which were announced when they were recorded. The visit's
   * columns ({@link Visit}) come after; rows older than them read as an unknown visitor.
   */
  private static String createClicks(SqlDialect dialect) {
    return "CREATE TABLE IF NOT EXISTS clicks (id " + dialect.serialKey() + ", code TEXT NOT NULL, clicked_at TEXT NOT NULL,"
        + " click_key TEXT, streamed INTEGER NOT NULL DEFAULT 1)";
  }

  /** Columns added after the tutorial's tables, in order; a database made earlier gets them at start. */
  private static final List<String[]> ADDED_COLUMNS =
      List.of(
          new String[] {"clicks", "click_key TEXT"},
          new String[] {"clicks", "streamed INTEGER NOT NULL DEFAULT 1"},
          new String[] {"clicks", "referrer TEXT"},
          new String[] {"clicks", "browser TEXT"},
          new String[] {"clicks", "os TEXT"},
          new String[] {"clicks", "device TEXT"},
          new String[] {"clicks", "bot INTEGER NOT NULL DEFAULT 0"},
          new String[] {"clicks", "ip TEXT"},
          new String[] {"links", "expires_at TEXT"},
          new String[] {"links", "max_clicks INTEGER"},
          new String[] {"links", "fallback_url TEXT"},
          new String[] {"links", "visits INTEGER NOT NULL DEFAULT 0"});

  private static final List<String> INDEXES =
      List.of(
          "CREATE UNIQUE INDEX IF NOT EXISTS clicks_click_key ON clicks (click_key)",
          "CREATE INDEX IF NOT EXISTS clicks_not_streamed ON clicks (id) WHERE streamed = 0",
          // a link's statistics read its clicks in a time range
          "CREATE INDEX IF NOT EXISTS clicks_code_clicked_at ON clicks (code, clicked_at)");

  private final Iii iii;
  private final SqlDatabase db;

  public LinkStore(Iii iii) {
    this.iii = iii;
    this.db = new SqlDatabase(iii, DB);
  }

  /** Which database holds the links. */
  public SqlDialect dialect() {
    return db.dialect();
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
        SqlDialect dialect = dialect();
        execute(dialect.createLinks(), List.of());
        execute(createClicks(dialect), List.of());
        for (String[] column : ADDED_COLUMNS) {
          addColumn(dialect, column[0], column[1]);
        }
        for (String index : INDEXES) {
          execute(index, List.of());
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

  /** Databases made before a column existed get it; it is there already otherwise. */
  private void addColumn(SqlDialect dialect, String table, String columnDefinition) {
    String ifMissing = dialect.addColumnIfMissing(table, columnDefinition);
    if (ifMissing != null) {
      execute(ifMissing, List.of());
      return;
    }
    try {
      execute("ALTER TABLE " + table + " ADD COLUMN " + columnDefinition, List.of());
    } catch (IiiException e) {
      if (!String.valueOf(e.getMessage()).contains("duplicate column")) {
        throw e;
      }
    }
  }

  /** Inserts a link; false when the code is taken. */
  public boolean insertLink(String code, String url, String createdAt, LinkLimits limits) {
    try {
      execute(
          "INSERT INTO links (code, url, created_at, expires_at, max_clicks, fallback_url) VALUES (?, ?, ?, ?, ?, ?)",
          Arrays.asList(code, url, createdAt, limits.expiresAt(), limits.maxClicks(), limits.fallbackUrl()));
      return true;
    } catch (IiiException e) {
      if (isUniqueViolation(e)) {
        return false;
      }
      throw e;
    }
  }

  private static final String LINK_COLUMNS = "code, url, created_at, expires_at, max_clicks, fallback_url, visits";

  public Optional<Link> findLink(String code) {
    JsonNode rows = query("SELECT " + LINK_COLUMNS + " FROM links WHERE code = ?", List.of(code)).path("rows");
    return rows.isEmpty() ? Optional.empty() : Optional.of(link(rows.get(0)));
  }

  private static Link link(JsonNode row) {
    return new Link(row.path("code").asText(), row.path("url").asText(), row.path("created_at").asText(null), LinkLimits.of(row), row.path("visits").asLong());
  }

  /** One page of links, newest first: its links, and the cursor of the next page (null on the last). */
  public record Page(List<Link> links, String nextCursor) {}

  /**
   * Up to {@code limit} links older than {@code cursor} (a row id from an earlier page; null for
   * the newest), whose code or URL contains {@code text} ignoring case (null for all).
   */
  public Page listLinks(String text, int limit, Long cursor) {
    String id = dialect().linkRowId();
    StringBuilder sql = new StringBuilder("SELECT " + id + " AS row_id, " + LINK_COLUMNS + " FROM links WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    if (cursor != null) {
      sql.append(" AND ").append(id).append(" < ?");
      params.add(cursor);
    }
    if (text != null && !text.isEmpty()) {
      sql.append(" AND (LOWER(code) LIKE ? ESCAPE '!' OR LOWER(url) LIKE ? ESCAPE '!')");
      String pattern = "%" + text.toLowerCase(java.util.Locale.ROOT).replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
      params.add(pattern);
      params.add(pattern);
    }
    sql.append(" ORDER BY ").append(id).append(" DESC LIMIT ?");
    params.add(limit + 1); // one more tells whether another page follows
    JsonNode rows = query(sql.toString(), params).path("rows");
    List<Link> links = new ArrayList<>();
    for (int i = 0; i < Math.min(limit, rows.size()); i++) {
      links.add(link(rows.get(i)));
    }
    boolean more = rows.size() > limit;
    return new Page(links, more ? rows.get(limit - 1).path("row_id").asText() : null);
  }

  /**
   * Records a click once per key; returns its row id (which tells two clicks of one millisecond
   * apart), or empty when a click with this key was recorded before. A null key never collides.
   */
  @Override
  public Optional<String> insertClick(ClickRecorder.Click click) {
    JsonNode rows = db.execute(INSERT_CLICK_RETURNING_ID, clickParams(click)).path("returned_rows");
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0).path("id").asText());
  }

  private static final String INSERT_CLICK_RETURNING_ID =
      "INSERT INTO clicks (code, clicked_at, click_key, streamed, referrer, browser, os, device, bot, ip)"
          + " VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?) ON CONFLICT (click_key) DO NOTHING RETURNING id";

  private static List<Object> clickParams(ClickRecorder.Click c) {
    Visit v = c.visit();
    return Arrays.asList(c.code(), c.clickedAt(), c.clickKey(), v.referrer(), v.browser(), v.os(), v.device(), v.bot() ? 1 : 0, v.ip());
  }

  /**
   * Records several clicks in one transaction: for each, its row id, or empty when its key was
   * recorded before. Throws when the transaction did not commit (nothing of it was recorded).
   */
  @Override
  public List<Optional<String>> insertClicks(List<ClickRecorder.Click> clicks) {
    List<SqlDatabase.Statement> statements = new ArrayList<>(clicks.size());
    for (ClickRecorder.Click c : clicks) {
      statements.add(new SqlDatabase.Statement(INSERT_CLICK_RETURNING_ID, clickParams(c)));
    }
    JsonNode result = db.transaction(statements);
    if (result == null || !result.path("committed").asBoolean(false)) {
      JsonNode error = result == null ? null : result.path("error");
      throw new IiiException(
          error == null ? "TRANSACTION_FAILED" : error.path("code").asText("TRANSACTION_FAILED"),
          error == null ? "the click batch did not commit" : error.path("message").asText("the click batch did not commit"));
    }
    List<Optional<String>> ids = new ArrayList<>(clicks.size());
    for (JsonNode statement : result.path("results")) {
      JsonNode rows = statement.path("rows");
      ids.add(rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0).get(0).asText()));
    }
    if (ids.size() != clicks.size()) {
      throw new IiiException("TRANSACTION_FAILED", "the click batch returned " + ids.size() + " results for " + clicks.size() + " clicks");
    }
    return ids;
  }

  // ------------------------------------------------------------------ many links at once (bulk import)

  /** A link to insert: its code and normalised URL. */
  public record NewLink(String code, String url) {}

  /** A stored link and its row id, to page through the links one import added. */
  public record StoredLink(long rowId, String code, String url) {}

  /**
   * Inserts, in one statement, every link whose code is free; a taken code, also one taken by an
   * earlier link of the same list, is left as it is. Completes with the codes inserted, or with an
   * {@link IiiException}. With a null {@code transactionId} the statement commits by itself, else
   * it runs in that transaction. The call is sent before this returns.
   */
  public CompletableFuture<Set<String>> insertNewLinks(List<NewLink> links, String createdAt, String transactionId) {
    if (links.isEmpty()) {
      return CompletableFuture.completedFuture(Set.of());
    }
    StringBuilder sql = new StringBuilder(64 + links.size() * 11).append("INSERT INTO links (code, url, created_at) VALUES ");
    List<Object> params = new ArrayList<>(links.size() * 3);
    for (int i = 0; i < links.size(); i++) {
      sql.append(i == 0 ? "(?, ?, ?)" : ", (?, ?, ?)");
      NewLink link = links.get(i);
      params.add(link.code());
      params.add(link.url());
      params.add(createdAt);
    }
    sql.append(" ON CONFLICT (code) DO NOTHING RETURNING code");
    return db.executeAsync(sql.toString(), params, transactionId)
        .thenApply(
            result -> {
              Set<String> inserted = new HashSet<>();
              for (JsonNode row : result.path("returned_rows")) {
                inserted.add(row.path("code").asText());
              }
              return inserted;
            });
  }

  /** Opens an interactive transaction on the links database; it rolls back by itself after {@code timeout}. */
  public String beginTransaction(Duration timeout) {
    return db.begin(timeout);
  }

  public void commit(String transactionId) {
    db.commit(transactionId);
  }

  public void rollback(String transactionId) {
    db.rollback(transactionId);
  }

  /**
   * Makes {@code transactionId} the only writer of links until it ends: SQLite's one writer is
   * taken by the first write anyway; PostgreSQL is told (see {@link SqlDialect#waitForWriters}).
   * Then the links it inserts are exactly those above the row id it saw first.
   */
  public void writeLinksAlone(String transactionId) {
    String lock = dialect().waitForWriters("links", true);
    if (lock != null) {
      db.executeIn(transactionId, lock, List.of());
    }
  }

  /** The newest link's row id as the transaction sees it (0 for none). */
  public long lastLinkRowId(String transactionId) {
    String sql = "SELECT COALESCE(MAX(" + dialect().linkRowId() + "), 0) AS id FROM links";
    return db.queryIn(transactionId, sql, List.of()).path("rows").path(0).path("id").asLong();
  }

  /** Up to {@code limit} links with a row id in {@code (after, upTo]}, in row id order. */
  public List<StoredLink> linksBetween(long after, long upTo, int limit) {
    String id = dialect().linkRowId();
    JsonNode result =
        query("SELECT " + id + " AS id, code, url FROM links WHERE " + id + " > ? AND " + id + " <= ? ORDER BY " + id + " LIMIT ?",
            List.of(after, upTo, limit));
    List<StoredLink> out = new ArrayList<>();
    for (JsonNode row : result.path("rows")) {
      out.add(new StoredLink(row.path("id").asLong(), row.path("code").asText(), row.path("url").asText()));
    }
    return out;
  }

  /** Sets a link's target and limits; false when there is no such link. */
  public boolean updateLink(String code, String url, LinkLimits limits) {
    JsonNode result =
        execute(
            "UPDATE links SET url = ?, expires_at = ?, max_clicks = ?, fallback_url = ? WHERE code = ?",
            Arrays.asList(url, limits.expiresAt(), limits.maxClicks(), limits.fallbackUrl(), code));
    return result != null && result.path("affected_rows").asLong(0) > 0;
  }

  /**
   * Lets one more person through a link's click limit, atomically: false when the limit is
   * reached. {@code by} is 0 for a crawler, which is let through while there is room without
   * using it up. A link with no limit (any more) always lets through.
   */
  public boolean takeVisit(String code, int by) {
    JsonNode result =
        execute("UPDATE links SET visits = visits + ? WHERE code = ? AND (max_clicks IS NULL OR visits < max_clicks)", List.of(by, code));
    return result != null && result.path("affected_rows").asLong(0) > 0;
  }

  /** Deletes a link (its clicks stay) and drops it from the cache. */
  public void deleteLink(String code) {
    execute("DELETE FROM links WHERE code = ?", List.of(code));
    iii.trigger(TriggerRequest.of("state::delete", Map.of("scope", CACHE_SCOPE, "key", code)));
  }

  /** The cached target and limits of a link ({@link Link#resolved()}'s shape), or null when not cached. */
  public JsonNode cached(String code) {
    JsonNode value = iii.trigger(TriggerRequest.of("state::get", Map.of("scope", CACHE_SCOPE, "key", code)));
    return value == null || value.isNull() || !value.path("url").isTextual() ? null : value;
  }

  /** Caches what resolving {@code code} answers: its target and limits. */
  public void cache(String code, Map<String, Object> resolved) {
    iii.trigger(TriggerRequest.of("state::set", Map.of("scope", CACHE_SCOPE, "key", code, "value", resolved)));
  }

  private JsonNode execute(String sql, List<Object> params) {
    return db.execute(sql, params);
  }

  private JsonNode query(String sql, List<Object> params) {
    return db.query(sql, params);
  }

  /** The database worker reports a UNIQUE/PRIMARY KEY violation as DRIVER_ERROR. */
  static boolean isUniqueViolation(IiiException e) {
    String message = String.valueOf(e.getMessage());
    return "DRIVER_ERROR".equals(e.code())
        && (message.contains("UNIQUE constraint failed") || message.contains("duplicate key") || message.contains("ConstraintViolation"));
  }
}
