package io.linkly.app.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.link.LinkWorker;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.Logger;
import io.linkly.iii.sdk.TriggerBinding;
import io.linkly.iii.sdk.TriggerRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
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
  private final Clock clock;
  private final Logger log;

  public AnalyticsWorker(Iii iii, Clock clock) {
    this.iii = iii;
    this.clock = clock;
    this.log = iii.logger(NAME);
  }

  public void start(Duration schemaPatience) throws InterruptedException {
    ensureSchema(schemaPatience);
    iii.registerFunction("analytics::on_link_created", (data, ctx) -> onLinkCreated(data));
    iii.registerTrigger(TriggerBinding.of("subscribe", "analytics::on_link_created", Map.of("topic", LinkWorker.CREATED_TOPIC)));
    log.info("analytics ready");
  }

  Map<String, Object> onLinkCreated(JsonNode link) {
    String day = LocalDate.now(clock.withZone(ZoneOffset.UTC)).toString();
    execute("INSERT INTO daily_link_counts (day, count) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET count = count + 1", List.of(day));
    log.info("counted new link " + link.path("code").asText() + " for " + day);
    return Map.of("ok", true);
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
    return iii.trigger(TriggerRequest.of("database::execute", Map.of("db", DB, "sql", sql, "params", params)));
  }
}
