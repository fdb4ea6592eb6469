package io.linkly.app;

import static io.linkly.app.LinklyFixture.get;
import static io.linkly.app.LinklyFixture.json;
import static io.linkly.app.LinklyFixture.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A links database that cannot take another row (SQLite's own "database or disk is full", made
 * real with {@code max_page_count} on the one writer connection): creating a link is a 503 with a
 * sentence a person can read and a Retry-After, in Linkly's {@code {"error": "..."}} shape, and
 * links that exist still redirect. Once there is room again, creating works again, and the clicks
 * made meanwhile, however often they failed, are recorded: none is dead-lettered.
 */
class LinkStoreFullTest {

  @TempDir Path data;

  @Test
  void aFullDatabaseIsA503NamingTheProblemAndRedirectsGoOn() throws Exception {
    try (Linkly linkly = Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC());
        Iii client = Iii.registerWorker(linkly.engine().workerUrl())) {
      String base = linkly.httpUrl();
      assertThat(post(base + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"kept\"}").statusCode()).isEqualTo(201);
      long pages = sql(client, "database::query", "PRAGMA page_count").get("rows").get(0).path("page_count").asLong();
      sql(client, "database::execute", "PRAGMA max_page_count = " + pages);

      HttpResponse<String> refused = null;
      for (int i = 0; i < 2000 && refused == null; i++) {
        HttpResponse<String> created = post(base + "/links", "{\"url\":\"https://full.example/" + "x".repeat(200) + "\",\"code\":\"f" + i + "\"}");
        if (created.statusCode() != 201) {
          refused = created;
        }
      }
      assertThat(refused).as("the database never filled up").isNotNull();
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
      assertThat(refused.headers().firstValue("retry-after")).hasValue("5");
      assertThat(json(refused.body())).isEqualTo(json("{\"error\":\"the link could not be stored now (database or disk is full); try again later\"}"));
      new OpenApiContract(json(get(base + "/openapi.json").body())).check("POST", "/links", refused); // the answer is documented

      HttpResponse<String> redirect = get(base + "/s/kept");
      assertThat(redirect.statusCode()).isEqualTo(302);
      assertThat(redirect.headers().firstValue("location")).hasValue("https://iii.dev");

      sql(client, "database::execute", "PRAGMA max_page_count = 1073741823");
      assertThat(post(base + "/links", "{\"url\":\"https://iii.dev/again\",\"code\":\"again\"}").statusCode()).isEqualTo(201);
    }
  }

  @Test
  void clicksMadeWhileTheDatabaseIsFullAreRecordedOnceThereIsRoomAgain() throws Exception {
    Map<String, String> env = new HashMap<>(LinklyFixture.env(data));
    env.put("LINKLY_CLICK_BACKOFF_MS", "5"); // the shipped 1 s, 2 s, 4 s… then 30 s, made quick
    env.put("LINKLY_CLICK_MAX_BACKOFF_MS", "20");
    try (Linkly linkly = Linkly.start(Linkly.config(env::get), Clock.systemUTC());
        Iii client = Iii.registerWorker(linkly.engine().workerUrl())) {
      String base = linkly.httpUrl();
      assertThat(post(base + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"kept\"}").statusCode()).isEqualTo(201);
      long pages = sql(client, "database::query", "PRAGMA page_count").get("rows").get(0).path("page_count").asLong();
      sql(client, "database::execute", "PRAGMA max_page_count = " + pages);
      fillTheClicksTable(client); // its last page has no room left for a click

      for (int i = 0; i < 3; i++) {
        assertThat(get(base + "/s/kept").statusCode()).isEqualTo(302);
      }
      // each click fails far more often than the six attempts that used to dead-letter it
      await().atMost(Duration.ofSeconds(60)).until(() -> queueStats(client).get("failed_attempts_total").asLong() >= 3 * 20);
      assertThat(queueStats(client).get("dlq_depth").asLong()).isZero();
      assertThat(keptClicks(client)).isZero();

      sql(client, "database::execute", "PRAGMA max_page_count = 1073741823");
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        assertThat(keptClicks(client)).isEqualTo(3);
        JsonNode queue = queueStats(client);
        assertThat(queue.get("depth").asLong()).isZero();
        assertThat(queue.get("dlq_depth").asLong()).isZero();
      });
    }
  }

  private static void fillTheClicksTable(Iii client) {
    for (int i = 0; i < 100_000; i++) {
      try {
        sql(client, "database::execute", "INSERT INTO clicks (code, clicked_at, streamed) VALUES ('filler', '2026-12-01T00:00:00.000Z', 1)");
      } catch (IiiException full) {
        assertThat(full.getMessage()).contains("database or disk is full");
        return;
      }
    }
    throw new AssertionError("the database never filled up");
  }

  private static JsonNode queueStats(Iii client) {
    return client.trigger(TriggerRequest.of("engine::queue::topic_stats", Map.of("queue", "clicks")));
  }

  private static long keptClicks(Iii client) {
    return sql(client, "database::query", "SELECT COUNT(*) AS n FROM clicks WHERE code = 'kept'").get("rows").get(0).get("n").asLong();
  }

  private static JsonNode sql(Iii client, String function, String sql) {
    return client.trigger(TriggerRequest.of(function, Map.of("db", "primary", "sql", sql)));
  }
}
