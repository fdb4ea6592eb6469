package io.linkly.iii.engine.workers.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.testing.ChildEngine;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file stream store under kill -9: every acknowledged {@code stream::set} is there after a restart. */
class StreamDurabilityTest {

  private static final int SENT = 3000;

  @TempDir Path dir;

  @Test
  void everyAcknowledgedSetSurvivesAKillMinusNine() throws Exception {
    EngineConfig config = EngineConfig.ephemeral().withSetting("iii-stream", "adapter", Json.mapper().valueToTree(Map.of(
        "name", "kv", "config", Map.of("store_method", "file_based", "file_path", dir.resolve("streams").toString()))));
    Set<Integer> acknowledged = new HashSet<>();
    try (ChildEngine child = ChildEngine.start(config, dir);
        RawWorker writer = RawWorker.connect(child.workerUrl())) {
      Map<String, Integer> pending = new HashMap<>();
      for (int n = 0; n < SENT; n++) {
        pending.put(writer.invoke("stream::set", Json.mapper().valueToTree(Map.of(
            "stream_name", "clicks", "group_id", "all", "item_id", "c-" + n, "data", Map.of("n", n))), null), n);
      }
      // kill -9 while writes are still arriving: some acknowledged, some on their way to the disk
      while (acknowledged.size() < SENT / 3) {
        JsonNode answer = writer.next("invocationresult", Duration.ofSeconds(30));
        assertThat(answer).as("acknowledgements keep coming").isNotNull();
        record(answer, pending, acknowledged);
      }
      child.kill();
      for (JsonNode late : writer.drain(Duration.ofMillis(200))) {
        record(late, pending, acknowledged);
      }
    }
    try (IiiEngine again = IiiEngine.start(config)) {
      JsonNode items = again.core().invoke(Call.of("stream::list", Json.mapper().valueToTree(Map.of("stream_name", "clicks", "group_id", "all"))))
          .get(30, TimeUnit.SECONDS);
      Set<Integer> kept = new HashSet<>();
      items.forEach(item -> kept.add(item.get("n").asInt()));
      assertThat(kept).as("every acknowledged set is kept").containsAll(acknowledged);
      assertThat(kept).as("nothing that was never sent").allMatch(n -> n >= 0 && n < SENT);
      assertThat(items).as("no item twice").hasSize(kept.size());
    }
  }

  private static void record(JsonNode answer, Map<String, Integer> pending, Set<Integer> acknowledged) {
    if (answer == null || !"invocationresult".equals(answer.path("type").asText()) || answer.has("error")) {
      return;
    }
    Integer n = pending.get(answer.path("invocation_id").asText());
    if (n != null) {
      acknowledged.add(n);
    }
  }
}
