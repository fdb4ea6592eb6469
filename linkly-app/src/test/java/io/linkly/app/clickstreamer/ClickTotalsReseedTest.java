package io.linkly.app.clickstreamer;

import io.linkly.app.visit.Visit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.Linkly;
import io.linkly.app.LinklyFixture;
import io.linkly.app.link.LinkWorker;
import io.linkly.app.link.ShortCode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.iii.sdk.WorkerOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeds that run while clicks stream in, on a real engine with the real link worker and
 * click-streamer: however the two interleave, each link's total ends at its number of click rows.
 */
class ClickTotalsReseedTest {

  @TempDir Path data;

  @Test
  void aLateAnnouncementOfAClickTheSeedCountedIsNotCountedAgain() throws Exception {
    try (IiiEngine engine = IiiEngine.start(Linkly.config(LinklyFixture.env(data)::get))) {
      Iii streamerSide = Iii.registerWorker(engine, WorkerOptions.builder().workerName(ClickStreamer.NAME).build());
      Iii linkSide = Iii.registerWorker(engine, WorkerOptions.builder().workerName(LinkWorker.NAME).build());
      Iii client = Iii.registerWorker(engine.workerUrl());
      ClickStreamer streamer = new ClickStreamer(streamerSide);
      LinkWorker links = new LinkWorker(linkSide, ShortCode.secure(), Clock.systemUTC());
      try {
        streamer.start();
        links.start(Duration.ofSeconds(30));
        client.trigger(TriggerRequest.of("link::create", Map.of("url", "https://iii.dev", "code", "x")));
        // a click recorded (marked streamed, so the reconciler leaves it be) whose announcement is still on its way
        String clickedAt = "2026-12-01T10:00:00.000Z";
        long row = insertClick(client, "x", clickedAt);
        ClickTotals totals = streamer.totals();
        long seeds = totals.seedsCompleted();
        totals.requestSeed();
        await().atMost(Duration.ofSeconds(20)).until(() -> totals.seedsCompleted() > seeds);
        assertThat(total(client, "x")).as("the seed counted the row").isEqualTo(1);
        streamer.stream("x", clickedAt, String.valueOf(row), null, Visit.UNKNOWN); // the announcement arrives
        long newer = insertClick(client, "x", "2026-12-01T10:00:01.000Z");
        streamer.stream("x", "2026-12-01T10:00:01.000Z", String.valueOf(newer), null, Visit.UNKNOWN); // a click after the seed
        assertThat(total(client, "x")).isEqualTo(2);
      } finally {
        links.close();
        streamer.close();
        client.shutdown();
        linkSide.shutdown();
        streamerSide.shutdown();
      }
    }
  }

  private static long insertClick(Iii client, String code, String clickedAt) {
    return client.trigger(TriggerRequest.of("database::execute", Map.of("db", "primary",
        "sql", "INSERT INTO clicks (code, clicked_at, streamed) VALUES (?, ?, 1)", "params", List.of(code, clickedAt))))
        .get("last_insert_id").asLong();
  }

  private static long total(Iii client, String code) {
    JsonNode item = client.trigger(TriggerRequest.of("stream::get", Map.of("stream_name", "clicks", "group_id", "totals", "item_id", code)));
    return item == null ? 0 : item.path("clicks").asLong();
  }

  @Test
  void totalsSeededAgainAndAgainUnderLoadEndEqualToTheClicksTable() throws Exception {
    List<String> codes = List.of("x", "y", "z");
    try (IiiEngine engine = IiiEngine.start(Linkly.config(LinklyFixture.env(data)::get))) {
      Iii streamerSide = Iii.registerWorker(engine, WorkerOptions.builder().workerName(ClickStreamer.NAME).build());
      Iii linkSide = Iii.registerWorker(engine, WorkerOptions.builder().workerName(LinkWorker.NAME).build());
      Iii client = Iii.registerWorker(engine.workerUrl());
      ClickStreamer streamer = new ClickStreamer(streamerSide);
      LinkWorker links = new LinkWorker(linkSide, ShortCode.secure(), Clock.systemUTC());
      try {
        streamer.start();
        links.start(Duration.ofSeconds(30));
        for (String code : codes) {
          client.trigger(TriggerRequest.of("link::create", Map.of("url", "https://iii.dev", "code", code)));
          // rows enough that a seed's snapshot takes a while, announced already
          client.trigger(TriggerRequest.of("database::execute", Map.of("db", "primary",
              "sql", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)"
                  + " INSERT INTO clicks (code, clicked_at, streamed) SELECT ?, '2026-12-01T10:00:00.000Z', 1 FROM n",
              "params", List.of(code))));
        }
        ClickTotals totals = streamer.totals();
        Semaphore inFlight = new Semaphore(32);
        List<CompletableFuture<JsonNode>> clicks = new ArrayList<>();
        long seedsBeforeAsking = 0;
        for (int i = 0; i < 3000; i++) {
          if (i % 100 == 0) { // a seed asked for every hundred clicks, sent while it runs
            seedsBeforeAsking = totals.seedsCompleted();
            totals.requestSeed();
          } else if (i % 100 == 99) { // and the next asked for only once it ran, so that none is merged into another
            long asked = seedsBeforeAsking;
            await().atMost(Duration.ofSeconds(20)).until(() -> totals.seedsCompleted() > asked);
          }
          inFlight.acquire();
          CompletableFuture<JsonNode> click = client.triggerAsync(TriggerRequest.of("link::record_click",
              Map.of("code", codes.get(i % codes.size()), "clicked_at", Instant.now().toString())));
          click.whenComplete((r, e) -> inFlight.release());
          clicks.add(click);
        }
        CompletableFuture.allOf(clicks.toArray(CompletableFuture[]::new)).get();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          JsonNode rows = client.trigger(TriggerRequest.of("database::query", Map.of("db", "primary",
              "sql", "SELECT code, COUNT(*) AS n, SUM(streamed = 0) AS waiting FROM clicks GROUP BY code ORDER BY code"))).get("rows");
          for (JsonNode row : rows) {
            assertThat(row.get("waiting").asLong()).as("clicks of %s not streamed yet", row.get("code").asText()).isZero();
            JsonNode total = client.trigger(TriggerRequest.of("stream::get",
                Map.of("stream_name", "clicks", "group_id", "totals", "item_id", row.get("code").asText())));
            assertThat(total.get("clicks").asLong()).as(row.get("code").asText()).isEqualTo(row.get("n").asLong());
          }
        });
      } finally {
        links.close();
        streamer.close();
        client.shutdown();
        linkSide.shutdown();
        streamerSide.shutdown();
      }
    }
  }
}
