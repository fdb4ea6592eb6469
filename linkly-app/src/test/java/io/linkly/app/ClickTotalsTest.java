package io.linkly.app;

import static io.linkly.app.LinklyFixture.get;
import static io.linkly.app.LinklyFixture.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.linkly.iii.engine.testing.StreamClient;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-link totals on stream clicks, group totals: one item per link, absolute counts, healed at start. */
class ClickTotalsTest {

  @TempDir Path data;

  private Linkly start() throws Exception {
    return Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC());
  }

  /** A link's total item, or a null node when it has none. */
  private static JsonNode total(Iii client, String code) {
    JsonNode item = client.trigger(TriggerRequest.of("stream::get", Map.of("stream_name", "clicks", "group_id", "totals", "item_id", code)));
    return item == null ? NullNode.getInstance() : item;
  }

  private static JsonNode totals(Iii client) {
    return client.trigger(TriggerRequest.of("stream::list", Map.of("stream_name", "clicks", "group_id", "totals")));
  }

  private static JsonNode query(Iii client, String sql, List<Object> params) {
    return client.trigger(TriggerRequest.of("database::query", Map.of("db", "primary", "sql", sql, "params", params))).get("rows");
  }

  private static void execute(Iii client, String sql, List<Object> params) {
    client.trigger(TriggerRequest.of("database::execute", Map.of("db", "primary", "sql", sql, "params", params)));
  }

  /** Every click row is on the live stream and marked so: nothing is left to count. */
  private static void awaitAllStreamed(Iii client) {
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(query(client, "SELECT COUNT(*) AS n FROM clicks WHERE streamed = 0", List.of()).get(0).get("n").asLong()).isZero());
  }

  /** The clicks table's count and latest click per code. */
  private static Map<String, JsonNode> databaseTotals(Iii client) {
    Map<String, JsonNode> out = new HashMap<>();
    for (JsonNode row : query(client, "SELECT code, COUNT(*) AS clicks, MAX(clicked_at) AS last FROM clicks GROUP BY code", List.of())) {
      out.put(row.get("code").asText(), row);
    }
    return out;
  }

  @Test
  void everyClickAddsOneToItsLinksTotalAndSubscribersHearAbsoluteCounts() throws Exception {
    try (Linkly linkly = start();
        Iii client = Iii.registerWorker(linkly.engine().workerUrl());
        StreamClient dashboard = StreamClient.connect(linkly.streamUrl()).join("d", "clicks", "totals")) {
      await().atMost(StreamClient.patience()).until(() -> dashboard.events("sync").size() == 1);
      assertThat(post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"counted\"}").statusCode()).isEqualTo(201);
      assertThat(post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev/docs\",\"code\":\"other\"}").statusCode()).isEqualTo(201);
      for (int i = 0; i < 3; i++) {
        assertThat(get(linkly.httpUrl() + "/s/counted").statusCode()).isEqualTo(302);
      }
      assertThat(get(linkly.httpUrl() + "/s/other").statusCode()).isEqualTo(302);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(total(client, "counted").path("clicks").asLong()).isEqualTo(3));
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(total(client, "other").path("clicks").asLong()).isEqualTo(1));
      JsonNode counted = total(client, "counted");
      assertThat(counted.get("code").asText()).isEqualTo("counted");
      assertThat(counted.get("last_clicked_at").asText()).isEqualTo(databaseTotals(client).get("counted").get("last").asText());
      // each change carries the link's count so far (clicks that came before the first seed was
      // written arrive as one change): a dashboard takes the largest, whatever it missed
      await().atMost(StreamClient.patience()).untilAsserted(() -> assertThat(countsHeard(dashboard, "counted")).endsWith(3L));
      assertThat(countsHeard(dashboard, "counted")).isSorted().doesNotHaveDuplicates();
      assertThat(dashboard.events("create")).extracting(e -> e.get("id").asText()).containsExactlyInAnyOrder("counted", "other");
      assertThat(totals(client)).hasSize(2);
    }
  }

  private static List<Long> countsHeard(StreamClient dashboard, String code) {
    List<Long> out = new ArrayList<>();
    for (JsonNode frame : dashboard.frames()) {
      String kind = frame.path("event").path("type").asText();
      if ((kind.equals("create") || kind.equals("update")) && frame.path("id").asText().equals(code)) {
        out.add(frame.get("event").get("data").get("clicks").asLong());
      }
    }
    return out;
  }

  @Test
  void aStartSeedsTheTotalsFromTheClicksTableSoThatDriftHeals() throws Exception {
    try (Linkly linkly = start(); Iii client = Iii.registerWorker(linkly.engine().workerUrl())) {
      post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"a\"}");
      post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"b\"}");
      get(linkly.httpUrl() + "/s/a");
      get(linkly.httpUrl() + "/s/a");
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(total(client, "a").path("clicks").asLong()).isEqualTo(2));
      awaitAllStreamed(client);
      // drift: a wrong total, a total of no link, and a click streamed whose increment was lost
      client.trigger(TriggerRequest.of("stream::set", Map.of("stream_name", "clicks", "group_id", "totals", "item_id", "a",
          "data", Map.of("code", "a", "clicks", 99, "last_clicked_at", "2020-01-01T00:00:00Z"))));
      client.trigger(TriggerRequest.of("stream::set", Map.of("stream_name", "clicks", "group_id", "totals", "item_id", "ghost",
          "data", Map.of("code", "ghost", "clicks", 5, "last_clicked_at", "2020-01-01T00:00:00Z"))));
      execute(client, "INSERT INTO clicks (code, clicked_at, click_key, streamed) VALUES ('b', '2026-12-01T10:00:00.000Z', 'k-b', 1)", List.of());
    }
    try (Linkly again = start(); Iii client = Iii.registerWorker(again.engine().workerUrl())) {
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        assertThat(total(client, "a").path("clicks").asLong()).isEqualTo(2);
        assertThat(total(client, "b").path("clicks").asLong()).isEqualTo(1);
        assertThat(total(client, "b").path("last_clicked_at").asText()).isEqualTo("2026-12-01T10:00:00.000Z");
        assertThat(total(client, "ghost").isNull()).as("a total of no link is removed").isTrue();
      });
      assertThat(total(client, "a").get("last_clicked_at").asText()).isEqualTo(databaseTotals(client).get("a").get("last").asText());
      get(again.httpUrl() + "/s/b");
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(total(client, "b").path("clicks").asLong()).isEqualTo(2));
    }
  }

  @Test
  void aClickTheSeedCountedIsNotCountedAgainWhenItsAnnouncementComesLate() throws Exception {
    try (Linkly linkly = start(); Iii client = Iii.registerWorker(linkly.engine().workerUrl())) {
      post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"late\"}");
      // a recorded click whose link.clicked never went out: the seed at the next start counts its
      // row, and the reconciler then streams it; the total must stay 1
      execute(client, "INSERT INTO clicks (code, clicked_at, click_key, streamed) VALUES ('late', '2026-12-01T10:00:00.000Z', 'k-late', 0)", List.of());
    }
    try (Linkly again = start(); Iii client = Iii.registerWorker(again.engine().workerUrl())) {
      awaitAllStreamed(client); // the reconciler streamed it (and counted it, or not) before marking it
      assertThat(client.trigger(TriggerRequest.of("stream::list", Map.of("stream_name", "clicks", "group_id", "all")))).hasSize(1);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(total(client, "late").path("clicks").asLong()).isEqualTo(1));
      get(again.httpUrl() + "/s/late");
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(total(client, "late").path("clicks").asLong()).isEqualTo(2));
    }
  }

  @Test
  void clicksStreamedWhileTheSeedRunsAreCountedOnce() throws Exception {
    List<String> codes = List.of("x", "y", "z");
    try (Linkly linkly = start(); Iii client = Iii.registerWorker(linkly.engine().workerUrl())) {
      for (String code : codes) {
        post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"" + code + "\"}");
      }
      // enough rows that the seed's snapshot takes a while: 60,000 announced clicks
      for (String code : codes) {
        execute(client, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
            + " INSERT INTO clicks (code, clicked_at, streamed) SELECT ?, '2026-12-01T10:00:00.000Z', 1 FROM n", List.of(code));
      }
    }
    try (Linkly again = start(); Iii client = Iii.registerWorker(again.engine().workerUrl())) {
      // clicks recorded from the first moment: before, while and after the seed runs
      List<CompletableFuture<JsonNode>> clicks = new ArrayList<>();
      for (int i = 0; i < 600; i++) {
        clicks.add(client.triggerAsync(TriggerRequest.of("link::record_click",
            Map.of("code", codes.get(i % 3), "clicked_at", Instant.now().toString()))));
        if (i % 50 == 0) {
          Thread.sleep(20);
        }
      }
      CompletableFuture.allOf(clicks.toArray(CompletableFuture[]::new)).get();
      awaitAllStreamed(client);
      Map<String, JsonNode> expected = databaseTotals(client);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        for (String code : codes) {
          assertThat(total(client, code).path("clicks").asLong()).as(code).isEqualTo(expected.get(code).get("clicks").asLong());
        }
      });
      assertThat(expected.get("x").get("clicks").asLong()).isEqualTo(20_200);
    }
  }
}
