package io.linkly.app.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.Rounds;
import io.linkly.app.link.LinkWorker;
import io.linkly.app.sql.SqlDatabase;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.Logger;
import io.linkly.iii.sdk.TriggerBinding;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code analytics} worker (LINKLY.md Ch. 4): counts new links per UTC day in its own
 * database {@code analytics}. It listens to the fire-and-forget {@code link.created} topic, so a
 * count may miss a link while it is down, as the tutorial accepts.
 */
public final class AnalyticsWorker {

  public static final String NAME = "analytics";
  static final String DB = "analytics";

  private final Iii iii;
  private final SqlDatabase db;
  private final Clock clock;
  private final Logger log;
  /**
   * New-link counts per day, written in rounds: a burst of {@code link.created} (a bulk import
   * announces a million) costs one database write per round, not one per link.
   */
  private final Rounds<String, Map<String, Long>> counts = new Rounds<>(HashMap::new, (all, byDay) -> write(byDay), "analytics-counts");

  public AnalyticsWorker(Iii iii, Clock clock) {
    this.iii = iii;
    this.db = new SqlDatabase(iii, DB);
    this.clock = clock;
    this.log = iii.logger(NAME);
  }

  public void start(Duration schemaPatience) throws InterruptedException {
    ensureSchema(schemaPatience);
    iii.registerFunction("analytics::on_link_created", (data, ctx) -> onLinkCreated(data));
    iii.registerTrigger(TriggerBinding.of("subscribe", "analytics::on_link_created", Map.of("topic", LinkWorker.CREATED_TOPIC)));
    log.info("analytics ready");
  }

  /**
   * Counts the link once its day's count is written. Links announced together (a bulk import) are
   * written together, and then logged as one line per round rather than a line per link.
   */
  Map<String, Object> onLinkCreated(JsonNode link) {
    String day = LocalDate.now(clock.withZone(ZoneOffset.UTC)).toString();
    Map<String, Long> round = counts.add("all days", byDay -> byDay.merge(day, 1L, Long::sum));
    long inRound = round.values().stream().mapToLong(Long::longValue).sum();
    if (inRound == 1) {
      log.info("counted new link " + link.path("code").asText() + " for " + day);
    }
    return Map.of("ok", true);
  }

  private void write(Map<String, Long> byDay) {
    byDay.forEach(
        (day, count) ->
            execute(
                "INSERT INTO daily_link_counts (day, count) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET count = daily_link_counts.count + excluded.count",
                List.of(day, count)));
    long total = byDay.values().stream().mapToLong(Long::longValue).sum();
    if (total > 1) {
      byDay.forEach((day, count) -> log.info("counted " + count + " new links for " + day));
    }
  }

  private void ensureSchema(Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    while (true) {
      try {
        execute("CREATE TABLE IF NOT EXISTS daily_link_counts (day TEXT PRIMARY KEY, count INTEGER NOT NULL)", List.of());
        return;
      } catch (IiiException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  private JsonNode execute(String sql, List<Object> params) {
    return db.execute(sql, params);
  }
}
