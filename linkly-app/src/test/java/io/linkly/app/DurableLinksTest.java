package io.linkly.app;

import static io.linkly.app.LinklyFixture.get;
import static io.linkly.app.LinklyFixture.json;
import static io.linkly.app.LinklyFixture.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.sdk.FunctionRef;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerRequest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LINKLY.md Ch. 4: clicks off the hot path, link events fanned out, updates durable. */
class DurableLinksTest {

  @TempDir static Path data;
  private static Linkly linkly;
  private static Iii client;

  @BeforeAll
  static void start() throws Exception {
    linkly = Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC());
    client = Iii.registerWorker(linkly.engine().workerUrl());
  }

  @AfterAll
  static void stop() {
    client.shutdown();
    linkly.close();
  }

  private static HttpResponse<String> put(String path, String body) throws Exception {
    return LinklyFixture.HTTP.send(
        HttpRequest.newBuilder(URI.create(linkly.httpUrl() + path)).header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode query(String db, String sql) {
    return client.trigger(TriggerRequest.of("database::query", Map.of("db", db, "sql", sql)));
  }

  @Test
  void fiveNewLinksAreCountedForTodayByTheAnalyticsWorker() throws Exception {
    int before = countToday();
    for (int n = 1; n <= 5; n++) {
      assertThat(post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev/" + n + "\",\"code\":\"analyticslink" + n + "\"}").statusCode())
          .isEqualTo(201);
    }
    await().untilAsserted(() -> assertThat(countToday()).isEqualTo(before + 5));
    JsonNode result = query("analytics", "SELECT day, count FROM daily_link_counts");
    assertThat(result.get("columns")).isEqualTo(json("[{\"name\":\"day\",\"type\":\"TEXT\"},{\"name\":\"count\",\"type\":\"INTEGER\"}]"));
  }

  private static int countToday() {
    String today = LocalDate.now(ZoneOffset.UTC).toString();
    JsonNode rows = query("analytics", "SELECT count FROM daily_link_counts WHERE day = '" + today + "'").get("rows");
    return rows.isEmpty() ? 0 : rows.get(0).get("count").asInt();
  }

  @Test
  void anUpdateChangesTheRedirectOnceTheDurableSubscriberRan() throws Exception {
    post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev/before\",\"code\":\"moving\"}");
    assertThat(get(linkly.httpUrl() + "/s/moving").headers().firstValue("location")).hasValue("https://iii.dev/before");
    HttpResponse<String> updated = put("/links/moving", "{\"url\":\"https://iii.dev/changed\"}");
    assertThat(updated.statusCode()).isEqualTo(200);
    assertThat(json(updated.body())).isEqualTo(json("{\"code\":\"moving\",\"url\":\"https://iii.dev/changed\"}"));
    await().untilAsserted(() ->
        assertThat(get(linkly.httpUrl() + "/s/moving").headers().firstValue("location")).hasValue("https://iii.dev/changed"));
  }

  @Test
  void updatingAnUnknownCodeIs404AndCachesNothing() throws Exception {
    HttpResponse<String> missing = put("/links/nobody-here", "{\"url\":\"https://iii.dev/x\"}");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(json(missing.body())).isEqualTo(json("{\"error\":\"link not found\"}"));
    assertThat(get(linkly.httpUrl() + "/s/nobody-here").statusCode()).isEqualTo(404);
    assertThat(put("/links/nobody-here", "{}").statusCode()).isEqualTo(400);
    assertThat(put("/links/nobody-here", "{\"url\":\"javascript:alert(1)\"}").statusCode()).isEqualTo(400);
  }

  @Test
  void aRedeliveredClickIsRecordedOnce() throws Exception {
    post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"twice\"}");
    Map<String, Object> click = Map.of("code", "twice", "clicked_at", "2026-12-01T10:00:00.000Z", "click_key", "same-key");
    client.trigger(TriggerRequest.of("link::record_click", click));
    client.trigger(TriggerRequest.of("link::record_click", click)); // as a retry after the insert committed would
    assertThat(query("primary", "SELECT COUNT(*) AS n FROM clicks WHERE code = 'twice'").get("rows").get(0).get("n").asInt()).isEqualTo(1);
  }

  @Test
  void redirectsEnqueueTheirClickAndReturnAtOnce() throws Exception {
    post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"queued\"}");
    // record_click taken over by a handler that holds every click until released: a redirect that
    // waited for its click to be recorded would wait here
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger held = new AtomicInteger();
    FunctionRef holder = client.registerFunction("link::record_click", (data, ctx) -> {
      held.incrementAndGet();
      release.await();
      throw new IiiException("HELD", "released without recording: the queue retries it");
    });
    try {
      await().until(() -> linkly.engine().core().function("link::record_click").orElseThrow().owner().id().equals(client.workerId()));
      for (int i = 0; i < 10; i++) {
        HttpResponse<String> redirect = LinklyFixture.HTTP.send(
            HttpRequest.newBuilder(URI.create(linkly.httpUrl() + "/s/queued")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(redirect.statusCode()).isEqualTo(302);
      }
      await().untilAsserted(() -> assertThat(held.get()).as("every click reached record_click through the queue").isEqualTo(10));
      assertThat(clicksOf("queued")).as("none recorded while the redirects were answered").isZero();
    } finally {
      holder.unregister(); // link's own record_click serves again
      release.countDown();
    }
    await().untilAsserted(() -> assertThat(clicksOf("queued")).isEqualTo(10));
  }

  private static int clicksOf(String code) {
    return query("primary", "SELECT COUNT(*) AS n FROM clicks WHERE code = '" + code + "'").get("rows").get(0).get("n").asInt();
  }
}
