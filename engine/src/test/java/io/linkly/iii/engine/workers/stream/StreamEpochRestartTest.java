package io.linkly.iii.engine.workers.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.testing.StreamClient;
import io.linkly.iii.protocol.Json;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real restart on the same file-based store changes the epoch, so a subscriber that rejoins with
 * what it saw before the restart gets {@code resync} (a fresh snapshot), even when the new engine's
 * history happens to hold the same sequence numbers again.
 */
class StreamEpochRestartTest {

  @TempDir Path dir;

  private EngineConfig config() throws Exception {
    return EngineConfig.ephemeral()
        .withSetting("iii-stream", "adapter", Json.mapper().readTree(
            "{\"name\":\"kv\",\"config\":{\"store_method\":\"file_based\",\"file_path\":"
                + Json.write(Json.mapper().getNodeFactory().textNode(dir.toString())) + "}}"));
  }

  private static void set(IiiEngine engine, String item, int n) throws Exception {
    engine.core().invoke(Call.of("stream::set", Json.mapper().readTree(
        "{\"stream_name\":\"feed\",\"group_id\":\"g\",\"item_id\":\"" + item + "\",\"data\":{\"n\":" + n + "}}")))
        .get(10, TimeUnit.SECONDS);
  }

  private static String url(IiiEngine engine) {
    return "ws://127.0.0.1:" + engine.port("iii-stream").orElseThrow() + "/";
  }

  @Test
  void aRejoinAfterARestartGetsResyncWithTheNewEpoch() throws Exception {
    String oldEpoch;
    long lastSeq;
    try (IiiEngine engine = IiiEngine.start(config());
        StreamClient c = StreamClient.connect(url(engine)).join("me", "feed", "g")) {
      await().until(() -> c.events("sync").size() == 1);
      set(engine, "a", 1);
      set(engine, "b", 2);
      await().until(() -> c.events("create").size() == 2);
      JsonNode seen = c.events("create").get(0);
      oldEpoch = seen.get("epoch").asText();
      lastSeq = seen.get("seq").asLong();
    }
    try (IiiEngine again = IiiEngine.start(config())) {
      // the new engine publishes as many changes as the old one did, so its history would bridge
      // lastSeq: only the epoch can tell the rejoin that these are not the changes it missed
      set(again, "c", 3);
      set(again, "d", 4);
      try (StreamClient back = StreamClient.connect(url(again)).resume("me", "feed", "g", lastSeq, oldEpoch)) {
        await().until(() -> back.events("resync").size() == 1);
        JsonNode resync = back.events("resync").get(0);
        assertThat(resync.get("epoch").asText()).as("the restarted engine's epoch").isNotEqualTo(oldEpoch);
        assertThat(resync.get("event").get("data")).as("the snapshot, from the file store").hasSize(4);
        assertThat(back.events("create")).as("nothing replayed from the new engine's history").isEmpty();
      }
    }
  }
}
