package io.linkly.iii.engine.workers.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.testing.StalledClient;
import io.linkly.iii.engine.testing.StreamClient;
import io.linkly.iii.protocol.Json;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The per-subscriber bound as the README states it: its defaults, and the instant cut-off of a
 * subscriber whose unread output passes eight times the bound, without waiting out the grace period.
 */
class StreamSlowSubscriberTest {

  @Test
  void theDefaultsAreAHistoryOf1024AOneMebibyteBoundAndATwoSecondGrace() throws Exception {
    StreamConfig config = StreamConfig.fromConfig(new WorkerEntry("iii-stream", Json.mapper().readTree("{}"), "workers[0]"));
    assertThat(config.historySize()).isEqualTo(1024);
    assertThat(config.maxBufferedBytes()).isEqualTo(1024 * 1024);
    assertThat(config.slowSubscriberGraceMs()).isEqualTo(2000);
  }

  /** The default history in use: after 1,030 changes a rejoin can bridge from seq 6, not from 5. */
  @Test
  void aRejoinCanBridgeTheDefault1024ChangesAndNoMore() throws Exception {
    try (IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral())) {
      String url = "ws://127.0.0.1:" + engine.port("iii-stream").orElseThrow() + "/";
      String epoch;
      try (StreamClient probe = StreamClient.connect(url).join("probe", "h", "g")) {
        await().until(() -> probe.events("sync").size() == 1);
        epoch = probe.events("sync").get(0).get("epoch").asText();
      }
      for (int i = 1; i <= 1030; i++) {
        engine.core().invoke(Call.of("stream::set", Json.mapper().readTree(
            "{\"stream_name\":\"h\",\"group_id\":\"g\",\"item_id\":\"i" + i + "\",\"data\":" + i + "}")))
            .get(10, TimeUnit.SECONDS);
      }
      try (StreamClient oldest = StreamClient.connect(url).resume("a", "h", "g", 6, epoch);
          StreamClient tooOld = StreamClient.connect(url).resume("b", "h", "g", 5, epoch)) {
        await().until(() -> oldest.events("create").size() == 1024);
        assertThat(oldest.events("create").get(0).get("seq").asLong()).isEqualTo(7);
        assertThat(oldest.events("resync")).isEmpty();
        await().until(() -> tooOld.events("resync").size() == 1);
        assertThat(tooOld.events("create")).isEmpty();
      }
    }
  }

  @Test
  void aSubscriberEightTimesOverTheBoundIsCutOffWithoutWaitingForTheGracePeriod() throws Exception {
    long bound = 16 * 1024;
    EngineConfig config = EngineConfig.ephemeral()
        .withSetting("iii-stream", "max_buffered_bytes", Json.mapper().getNodeFactory().numberNode(bound))
        // an hour: any cut-off during this test is the instant one
        .withSetting("iii-stream", "slow_subscriber_grace_ms", Json.mapper().getNodeFactory().numberNode(3_600_000));
    try (IiiEngine engine = IiiEngine.start(config)) {
      String url = "ws://127.0.0.1:" + engine.port("iii-stream").orElseThrow() + "/";
      StreamWorker worker = engine.worker(StreamWorker.class).orElseThrow();
      try (StreamClient reader = StreamClient.connect(url).join("reader", "big", "g");
          StalledClient stalled = new StalledClient(url,
              "{\"type\":\"join\",\"data\":{\"subscriptionId\":\"frozen\",\"streamName\":\"big\",\"groupId\":\"g\"}}")) {
        await().until(() -> reader.events("sync").size() == 1);
        String payload = "\"" + "x".repeat((int) bound) + "\"";
        // 4,000 bound-sized changes (64 MiB) is far past 8x the bound plus every kernel buffer
        int sent = 0;
        while (worker.subscribersCutOff() == 0 && sent < 4000) {
          engine.core().invoke(Call.of("stream::set", Json.mapper().readTree(
              "{\"stream_name\":\"big\",\"group_id\":\"g\",\"item_id\":\"i" + sent + "\",\"data\":" + payload + "}")))
              .get(10, TimeUnit.SECONDS);
          sent++;
          int expected = sent;
          // the reader keeps up, so it never holds more than one change unread
          await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
              .until(() -> reader.events("create").size() == expected);
        }
        assertThat(worker.subscribersCutOff()).as("cut off within the grace period, after %d changes", sent).isEqualTo(1);
        await().until(stalled::isDisconnectedByPeer);
        assertThat(reader.closed()).as("the reader was not cut off").isNotDone();
      }
    }
  }
}
