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

/** The {@code file_based} stream store: items survive a restart; update ops work on streams. */
class StreamFileStoreTest {

  @TempDir Path dir;

  private EngineConfig config() throws Exception {
    return EngineConfig.ephemeral()
        .withSetting("iii-stream", "adapter", Json.mapper().readTree(
            "{\"name\":\"kv\",\"config\":{\"store_method\":\"file_based\",\"file_path\":" + Json.write(Json.mapper().getNodeFactory().textNode(dir.toString())) + "}}"));
  }

  private static JsonNode call(IiiEngine engine, String function, String data) throws Exception {
    return engine.core().invoke(Call.of(function, Json.mapper().readTree(data))).get(10, TimeUnit.SECONDS);
  }

  @Test
  void everyAcknowledgedItemSurvivesARestartAndSubscribersStillSeeChanges() throws Exception {
    try (IiiEngine engine = IiiEngine.start(config())) {
      String url = "ws://127.0.0.1:" + engine.port("iii-stream").orElseThrow() + "/";
      try (StreamClient c = StreamClient.connect(url).join("s", "clicks", "all")) {
        await().until(() -> c.events("sync").size() == 1);
        for (int i = 0; i < 300; i++) {
          call(engine, "stream::set", "{\"stream_name\":\"clicks\",\"group_id\":\"all\",\"item_id\":\"c" + i + "\",\"data\":{\"n\":" + i + "}}");
        }
        call(engine, "stream::delete", "{\"stream_name\":\"clicks\",\"group_id\":\"all\",\"item_id\":\"c0\"}");
        await().until(() -> c.events("create").size() == 300 && c.events("delete").size() == 1);
        assertThat(c.events("create").get(299).get("seq").asLong()).isEqualTo(300);
      }
    }
    try (IiiEngine again = IiiEngine.start(config())) {
      JsonNode items = call(again, "stream::list", "{\"stream_name\":\"clicks\",\"group_id\":\"all\"}");
      assertThat(items).hasSize(299);
      assertThat(items.get(0).get("n").asInt()).isEqualTo(1);
      assertThat(items.get(298).get("n").asInt()).isEqualTo(299);
      assertThat(call(again, "stream::list_groups", "{\"stream_name\":\"clicks\"}")).isEqualTo(Json.mapper().readTree("[\"all\"]"));
    }
  }

  @Test
  void updateOpsApplyAndPublish() throws Exception {
    try (IiiEngine engine = IiiEngine.start(config())) {
      String url = "ws://127.0.0.1:" + engine.port("iii-stream").orElseThrow() + "/";
      try (StreamClient c = StreamClient.connect(url).join("s", "counters", "g")) {
        await().until(() -> c.events("sync").size() == 1);
        JsonNode first = call(engine, "stream::update",
            "{\"stream_name\":\"counters\",\"group_id\":\"g\",\"item_id\":\"hits\",\"ops\":[{\"type\":\"increment\",\"path\":\"n\",\"by\":2}]}");
        assertThat(first).isEqualTo(Json.mapper().readTree("{\"old_value\":null,\"new_value\":{\"n\":2}}"));
        JsonNode second = call(engine, "stream::update",
            "{\"stream_name\":\"counters\",\"group_id\":\"g\",\"item_id\":\"hits\",\"ops\":[{\"type\":\"increment\",\"path\":\"n\",\"by\":3},{\"type\":\"append\",\"path\":\"n\",\"value\":1}]}");
        assertThat(second.get("new_value")).isEqualTo(Json.mapper().readTree("{\"n\":5}"));
        assertThat(second.get("errors").get(0).get("op_index").asInt()).isEqualTo(1);
        await().until(() -> c.events("create").size() == 1 && c.events("update").size() == 1);
        assertThat(c.events("update").get(0).get("event").get("data").get("n").asInt()).isEqualTo(5);
      }
    }
  }
}
