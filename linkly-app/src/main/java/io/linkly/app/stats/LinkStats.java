package io.linkly.app.stats;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.sql.SqlDatabase;
import io.linkly.app.sql.SqlDialect;
import io.linkly.iii.sdk.IiiException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A link's clicks in a range, counted by the database: the human and crawler totals, human clicks
 * per UTC day, and the four breakdowns of human clicks (referrer, browser, OS, device). Six
 * queries, each on {@code clicks (code, clicked_at)}.
 *
 * <p>The first count also notes the highest click id it saw ({@code last_click_id}) and the
 * breakdowns count only up to it, so every part of the answer covers the same clicks however
 * many are recorded meanwhile, and a live view can add exactly the clicks with a higher id.
 */
final class LinkStats {

  /** Entries a breakdown lists; the rest are summed as {@value #OTHER}. */
  static final int TOP = 10;
  static final String OTHER = "(other)";

  /** A breakdown: the column, and the name its NULL (a direct visit, an old row) is counted under. */
  private record Dimension(String key, String column, String nullName) {}

  private static final List<Dimension> DIMENSIONS =
      List.of(
          new Dimension("referrers", "referrer", "(direct)"),
          new Dimension("browsers", "browser", "Other"),
          new Dimension("os", "os", "Other"),
          new Dimension("devices", "device", "other"));

  private final SqlDatabase db;

  LinkStats(SqlDatabase db) {
    this.db = db;
  }

  /** The statistics of {@code code} in {@code range}; {@code LINK_NOT_FOUND} when there is no such link. */
  Map<String, Object> of(String code, StatsRange range) {
    if (db.query("SELECT 1 AS found FROM links WHERE code = ?", List.of(code)).path("rows").isEmpty()) {
      throw new IiiException("LINK_NOT_FOUND", "link not found");
    }
    List<Object> params = range.params(code);
    JsonNode days =
        db.query(
                "SELECT substr(clicked_at, 1, 10) AS day, bot, COUNT(*) AS clicks, MAX(id) AS last_id FROM clicks WHERE " + range.where()
                    + " GROUP BY substr(clicked_at, 1, 10), bot",
                params)
            .path("rows");
    long total = 0;
    long bots = 0;
    long lastId = 0;
    TreeMap<String, Long> humanByDay = new TreeMap<>(); // ISO dates: text order is time order
    for (JsonNode row : days) {
      long clicks = number(row.path("clicks"));
      lastId = Math.max(lastId, number(row.path("last_id")));
      if (isBot(row.path("bot"))) {
        bots += clicks;
      } else {
        total += clicks;
        humanByDay.merge(row.path("day").asText(), clicks, Long::sum);
      }
    }
    List<Map<String, Object>> byDay = new ArrayList<>(humanByDay.size());
    humanByDay.forEach((day, clicks) -> byDay.add(entry("day", day, clicks)));

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("code", code);
    out.put("from", range.from());
    out.put("to", range.to());
    out.put("total", total);
    out.put("bots", bots);
    out.put("by_day", byDay);
    for (Dimension dimension : DIMENSIONS) {
      out.put(dimension.key(), total == 0 ? List.of() : breakdown(dimension, range, params, lastId));
    }
    out.put("last_click_id", lastId == 0 ? null : lastId);
    return out;
  }

  /**
   * The {@value #TOP} largest groups, most clicks first and then by name (in byte order on both
   * databases: PostgreSQL's default collation would sort names by the server's locale), and the
   * rest as one {@value #OTHER} entry. The window sum counts every group before the limit cuts
   * them, so the rest comes from the same statement.
   */
  private List<Map<String, Object>> breakdown(Dimension dimension, StatsRange range, List<Object> params, long lastId) {
    String name = "COALESCE(" + dimension.column() + ", '" + dimension.nullName() + "')";
    List<Object> withLast = new ArrayList<>(params);
    withLast.add(lastId);
    String byteOrder = db.dialect() == SqlDialect.POSTGRES ? " COLLATE \"C\"" : "";
    JsonNode rows =
        db.query(
                "SELECT name, clicks, SUM(clicks) OVER () AS human FROM (SELECT " + name + " AS name, COUNT(*) AS clicks FROM clicks WHERE "
                    + range.where() + " AND id <= ? AND bot = 0 GROUP BY " + name + ") AS g ORDER BY clicks DESC, name" + byteOrder
                    + " LIMIT " + TOP,
                withLast)
            .path("rows");
    List<Map<String, Object>> entries = new ArrayList<>(TOP + 1);
    long listed = 0;
    long human = 0;
    for (JsonNode row : rows) {
      long clicks = number(row.path("clicks"));
      entries.add(entry("name", row.path("name").asText(), clicks));
      listed += clicks;
      human = number(row.path("human"));
    }
    if (human > listed) {
      entries.add(entry("name", OTHER, human - listed));
    }
    return entries;
  }

  private static Map<String, Object> entry(String key, String value, long clicks) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put(key, value);
    entry.put("clicks", clicks);
    return entry;
  }

  /** A count: a number on SQLite, text on PostgreSQL (bigint and numeric travel as strings). */
  private static long number(JsonNode value) {
    return value.isNumber() ? value.asLong() : Long.parseLong(value.asText("0"));
  }

  /** {@code bot} is 0/1; a boolean should a database ever hand one over. */
  private static boolean isBot(JsonNode value) {
    return value.isBoolean() ? value.booleanValue() : value.asLong(0) != 0;
  }
}
