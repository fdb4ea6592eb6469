package io.linkly.app;

import static io.linkly.app.LinklyFixture.get;
import static io.linkly.app.LinklyFixture.json;
import static io.linkly.app.LinklyFixture.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.cli.Main;
import io.linkly.iii.protocol.TriggerAction;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.util.Map;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Linkly as a user runs it: its own process, driven over HTTP and with `iii trigger`, killed
 * with -9 and started again on the same data.
 */
class LinklyProcessTest {

  private static final Pattern WORKER_PORT = Pattern.compile("iii-worker-manager listening on ws://127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern HTTP_PORT = Pattern.compile("iii-http listening on http://127\\.0\\.0\\.1:(\\d+)");
  private static final Duration START = Duration.ofSeconds(60);

  @TempDir Path data;
  @TempDir Path workDir;

  private record Running(ChildProcess process, String workerUrl, String httpUrl) {}

  private Running startLinkly() throws Exception {
    return startLinkly(LinklyFixture.env(data));
  }

  private Running startLinkly(Map<String, String> env) throws Exception {
    ChildProcess process = ChildProcess.java(Linkly.class, List.of(), env, workDir);
    String workerPort = process.await(WORKER_PORT, START);
    String httpPort = process.await(HTTP_PORT, START);
    process.await(Pattern.compile("Linkly is up"), START);
    return new Running(process, "ws://127.0.0.1:" + workerPort, "http://127.0.0.1:" + httpPort);
  }

  private String iiiTrigger(String workerUrl, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("trigger"));
    command.addAll(List.of(args));
    command.add("--address");
    command.add(workerUrl);
    try (ChildProcess cli = ChildProcess.java(Main.class, command, java.util.Map.of(), workDir)) {
      assertThat(cli.waitFor(Duration.ofSeconds(60))).as(cli.transcript()).isZero();
      return cli.output();
    }
  }

  @Test
  void everyAcknowledgedLinkAndClickSurvivesKillMinusNine() throws Exception {
    Running first = startLinkly();
    try (ChildProcess process = first.process()) {
      for (int i = 0; i < 20; i++) {
        assertThat(post(first.httpUrl() + "/links", "{\"url\":\"https://durable.example/" + i + "\",\"code\":\"d" + i + "\"}").statusCode())
            .isEqualTo(201);
      }
      for (int click = 0; click < 3; click++) {
        assertThat(get(first.httpUrl() + "/s/d7").statusCode()).isEqualTo(302);
      }
      process.kill(); // the three clicks were acknowledged by the durable queue, maybe not yet recorded
    }

    Running second = startLinkly();
    try (ChildProcess process = second.process()) {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        String clicks = iiiTrigger(second.workerUrl(), "database::query", "db=primary",
            "sql=SELECT COUNT(*) AS clicks FROM clicks WHERE code = 'd7'");
        assertThat(json(clicks)).isEqualTo(json("{\"columns\":[{\"name\":\"clicks\",\"type\":\"\"}],\"row_count\":1,\"rows\":[{\"clicks\":3}]}"));
      });
      for (int i = 0; i < 20; i++) {
        var redirect = get(second.httpUrl() + "/s/d" + i);
        assertThat(redirect.statusCode()).isEqualTo(302);
        assertThat(redirect.headers().firstValue("location")).hasValue("https://durable.example/" + i);
      }
    }
  }

  @Test
  void aThousandQueuedClicksSurviveKillMinusNineAndAreRecordedExactlyOnce() throws Exception {
    int clicks = 1000;
    Running first = startLinkly();
    try (ChildProcess process = first.process();
        Iii client = Iii.registerWorker(first.workerUrl())) {
      post(first.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"q\"}");
      List<java.util.concurrent.CompletableFuture<JsonNode>> acks = new java.util.ArrayList<>();
      for (int i = 0; i < clicks; i++) {
        acks.add(client.triggerAsync(TriggerRequest.of("link::record_click",
                Map.of("code", "q", "clicked_at", "2026-12-01T00:00:00.000Z", "click_key", "k-" + i))
            .withAction(TriggerAction.Enqueue("clicks"))));
      }
      for (var ack : acks) {
        assertThat(ack.get(60, java.util.concurrent.TimeUnit.SECONDS).get("messageReceiptId").asText()).isNotEmpty();
      }
      process.kill(); // every click is acknowledged; most are still waiting in the queue
    }
    Running second = startLinkly();
    try (ChildProcess process = second.process();
        Iii client = Iii.registerWorker(second.workerUrl())) {
      String count = "SELECT COUNT(*) AS n, COUNT(DISTINCT click_key) AS keys FROM clicks WHERE code = 'q'";
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
          assertThat(client.trigger(TriggerRequest.of("database::query", Map.of("db", "primary", "sql", count))).get("rows").get(0))
              .isEqualTo(json("{\"n\":" + clicks + ",\"keys\":" + clicks + "}")));
    }
  }

  @Test
  void everyRecordedClickReachesTheStreamOnceAcrossFiveKillMinusNines() throws Exception {
    Map<String, String> env = new java.util.HashMap<>(LinklyFixture.env(data));
    env.put("LINKLY_LIVE_CLICKS", "1000000"); // keep every item, so that items can be compared with rows
    String rowsSql = "SELECT COUNT(*) AS n FROM clicks";
    for (int round = 0; round < 5; round++) {
      Running running = startLinkly(env);
      try (ChildProcess process = running.process();
          Iii client = Iii.registerWorker(running.workerUrl())) {
        long before = client.trigger(TriggerRequest.of("database::query", Map.of("db", "primary", "sql", rowsSql))).get("rows").get(0).get("n").asLong();
        for (int i = 0; i < 400; i++) {
          client.triggerAsync(TriggerRequest.of("link::record_click",
                  Map.of("code", "burst", "clicked_at", "2026-12-01T00:00:00.000Z", "click_key", "r" + round + "-" + i))
              .withAction(TriggerAction.Enqueue("clicks")));
        }
        // kill -9 in the middle of the burst: some clicks recorded, some announced, some still queued
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() ->
            client.trigger(TriggerRequest.of("database::query", Map.of("db", "primary", "sql", rowsSql))).get("rows").get(0).get("n").asLong() > before + 50);
        process.kill();
      }
    }
    Running last = startLinkly(env);
    try (ChildProcess process = last.process();
        Iii client = Iii.registerWorker(last.workerUrl())) {
      String sql = "SELECT COUNT(*) AS n, COUNT(DISTINCT click_key) AS keys, SUM(streamed) AS streamed FROM clicks";
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
        // first the queue: a click still waiting (a redelivery in its retry delay) would add a row
        // after this check, and nothing may be dead-lettered
        JsonNode queue = client.trigger(TriggerRequest.of("engine::queue::topic_stats", Map.of("queue", "clicks")));
        assertThat(queue.get("depth").asLong()).isZero();
        assertThat(queue.get("in_flight").asLong()).isZero();
        assertThat(queue.get("dlq_depth").asLong()).isZero();
        JsonNode row = client.trigger(TriggerRequest.of("database::query", Map.of("db", "primary", "sql", sql))).get("rows").get(0);
        JsonNode items = client.trigger(TriggerRequest.of("stream::list", Map.of("stream_name", "clicks", "group_id", "all")));
        assertThat(row.get("keys").asLong()).isEqualTo(row.get("n").asLong());
        assertThat(row.get("streamed").asLong()).isEqualTo(row.get("n").asLong());
        assertThat(items).hasSize(row.get("n").asInt());
      });
      JsonNode ids = client.trigger(TriggerRequest.of("database::query", Map.of("db", "primary", "sql", "SELECT id FROM clicks"))).get("rows");
      List<String> itemClickIds = new java.util.ArrayList<>();
      client.trigger(TriggerRequest.of("stream::list", Map.of("stream_name", "clicks", "group_id", "all")))
          .forEach(item -> itemClickIds.add(item.path("click_id").asText("(none)")));
      List<String> rowIds = new java.util.ArrayList<>();
      ids.forEach(row -> rowIds.add(row.get("id").asText()));
      // names the ids that differ, not two sets of two thousand
      assertThat(itemClickIds).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(rowIds);
    }
  }

  @Test
  void iiiTriggerCallsLinkFunctionsAndPrintsUpstreamsShape() throws Exception {
    Running linkly = startLinkly();
    try (ChildProcess process = linkly.process()) {
      String created = iiiTrigger(linkly.workerUrl(), "link::create", "url=https://iii.dev", "code=iii");
      assertThat(created).isEqualTo("{\n  \"code\": \"iii\",\n  \"url\": \"https://iii.dev\"\n}");
      assertThat(json(iiiTrigger(linkly.workerUrl(), "link::resolve", "code=nope"))).isEqualTo(json("{\"url\":null}"));
      // a numeric code from the command line is coerced to a string, as the tutorial advises
      iiiTrigger(linkly.workerUrl(), "link::create", "url=https://n.example", "code=123");
      assertThat(json(iiiTrigger(linkly.workerUrl(), "link::resolve", "code=123"))).isEqualTo(json("{\"url\":\"https://n.example\"}"));
    }
  }
}
