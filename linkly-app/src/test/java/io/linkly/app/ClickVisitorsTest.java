package io.linkly.app;

import static io.linkly.app.LinklyFixture.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.testing.StreamClient;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each click keeps who made it (referrer host, browser, OS, device, bot, anonymised address), and crawlers are not counted. */
class ClickVisitorsTest {

  static final String CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
  static final String GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

  @TempDir Path data;

  static HttpResponse<String> visit(String url, String userAgent, String referer) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("User-Agent", userAgent);
    if (referer != null) {
      request.header("Referer", referer);
    }
    return LinklyFixture.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aClickRecordsItsVisitorAndACrawlerIsKeptButNotCounted() throws Exception {
    try (Linkly linkly = Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC());
        Iii client = Iii.registerWorker(linkly.engine().workerUrl());
        StreamClient dashboard = StreamClient.connect(linkly.streamUrl()).join("d", "clicks", "all")) {
      assertThat(post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"seen\"}").statusCode()).isEqualTo(201);
      assertThat(visit(linkly.httpUrl() + "/s/seen", CHROME, "https://news.example.org/item?id=secret").statusCode()).isEqualTo(302);
      assertThat(visit(linkly.httpUrl() + "/s/seen", GOOGLEBOT, null).statusCode()).isEqualTo(302);

      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(rows(client)).hasSize(2));
      // the queue records clicks concurrently: the rows are told apart by what they hold, not their order
      List<JsonNode> rows = rows(client);
      JsonNode person = rows.stream().filter(r -> r.get("bot").asInt() == 0).findFirst().orElseThrow();
      JsonNode crawler = rows.stream().filter(r -> r.get("bot").asInt() == 1).findFirst().orElseThrow();
      assertThat(person.get("referrer").asText()).isEqualTo("news.example.org");
      assertThat(person.get("browser").asText()).isEqualTo("Chrome");
      assertThat(person.get("os").asText()).isEqualTo("Windows");
      assertThat(person.get("device").asText()).isEqualTo("desktop");
      assertThat(person.get("ip").asText()).as("the address without its host part").isEqualTo("127.0.0.0");
      assertThat(crawler.get("device").asText()).isEqualTo("bot");
      assertThat(crawler.get("referrer").isNull()).isTrue();

      // both travel on the live stream with their visitor; only the person is in the link's total
      await().atMost(StreamClient.patience()).until(() -> dashboard.events("create").size() == 2);
      JsonNode live = dashboard.events("create").stream().map(e -> e.get("event").get("data")).filter(d -> !d.get("bot").asBoolean()).findFirst().orElseThrow();
      assertThat(live.get("referrer").asText()).isEqualTo("news.example.org");
      assertThat(live.get("browser").asText()).isEqualTo("Chrome");
      assertThat(live.get("device").asText()).isEqualTo("desktop");
      assertThat(live.get("ip").asText()).isEqualTo("127.0.0.0");
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(client.trigger(TriggerRequest.of("stream::get", Map.of("stream_name", "clicks", "group_id", "totals", "item_id", "seen"))).path("clicks").asLong())
              .isEqualTo(1));
    }
    // a seed at the next start counts the same: the crawler's row is left out
    try (Linkly linkly = Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC());
        Iii client = Iii.registerWorker(linkly.engine().workerUrl())) {
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(client.trigger(TriggerRequest.of("stream::get", Map.of("stream_name", "clicks", "group_id", "totals", "item_id", "seen"))).path("clicks").asLong())
              .isEqualTo(1));
    }
  }

  private static List<JsonNode> rows(Iii client) {
    JsonNode result =
        client.trigger(TriggerRequest.of("database::query", Map.of("db", "primary", "sql", "SELECT referrer, browser, os, device, bot, ip FROM clicks ORDER BY id", "params", List.of())));
    List<JsonNode> rows = new ArrayList<>();
    result.get("rows").forEach(rows::add);
    return rows;
  }
}
