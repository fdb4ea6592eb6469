package io.linkly.iii.engine.workers.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.testing.HandClock;
import io.linkly.iii.engine.testing.StreamClient;
import io.linkly.iii.engine.workers.BuiltinWorkers;
import io.linkly.iii.protocol.Json;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A group's history is for the clients this engine serves: while a group has subscribers here, and
 * for two minutes after the last one left, a client that rejoins resumes with what it missed; a
 * group nobody has watched for longer keeps no history (with a shared store an engine hears every
 * group of the cluster), and a rejoin gets a fresh snapshot instead — never a wrong resume.
 */
class StreamIdleHistoryTest {

  private final HandClock clock = new HandClock();
  private IiiEngine engine;

  @AfterEach
  void stop() {
    if (engine != null) {
      engine.close();
    }
  }

  private void set(String item, int n) throws Exception {
    engine.core().invoke(Call.of("stream::set", Json.mapper().readTree(
        "{\"stream_name\":\"feed\",\"group_id\":\"g\",\"item_id\":\"" + item + "\",\"data\":{\"n\":" + n + "}}")))
        .get(10, TimeUnit.SECONDS);
  }

  private String url() {
    return "ws://127.0.0.1:" + engine.port("iii-stream").orElseThrow() + "/";
  }

  /** Joins, sees one change, leaves: returns that change (its seq and epoch are what a rejoin sends). */
  private JsonNode watchOneChangeAndLeave(String item) throws Exception {
    try (StreamClient c = StreamClient.connect(url()).join("me", "feed", "g")) {
      await().until(() -> c.events("sync").size() == 1);
      set(item, 1);
      await().until(() -> c.events("create").size() == 1);
      return c.events("create").get(0);
    } finally {
      awaitNoSubscriber();
    }
  }

  /** The engine has seen the client go: its next change finds nobody watching. */
  private void awaitNoSubscriber() {
    await().until(() -> engine.worker(StreamWorker.class).orElseThrow().subscriptions() == 0);
  }

  @Test
  void aClientBackWithinTwoMinutesResumes_afterThatItResyncs() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral(), BuiltinWorkers.standard(), clock);
    JsonNode seen = watchOneChangeAndLeave("a");
    clock.advance(Duration.ofSeconds(90));
    set("b", 2);
    try (StreamClient back = StreamClient.connect(url()).resume("me", "feed", "g", seen.get("seq").asLong(), seen.get("epoch").asText())) {
      await().until(() -> back.events("create").size() == 1);
      assertThat(back.events("create").get(0).get("id").asText()).as("the change it missed, from the history").isEqualTo("b");
      assertThat(back.events("sync")).isEmpty();
      assertThat(back.events("resync")).isEmpty();
    }

    JsonNode last = watchOneChangeAndLeave("b2");
    clock.advance(Duration.ofMinutes(3));
    set("c", 3); // nobody has watched the group for three minutes: not kept
    try (StreamClient late = StreamClient.connect(url()).resume("me", "feed", "g", last.get("seq").asLong(), last.get("epoch").asText())) {
      await().until(() -> late.events("resync").size() == 1);
      assertThat(late.events("resync").get(0).get("event").get("data")).as("a fresh snapshot of the group").hasSize(4);
      assertThat(late.events("create")).isEmpty();
    }
  }
}
