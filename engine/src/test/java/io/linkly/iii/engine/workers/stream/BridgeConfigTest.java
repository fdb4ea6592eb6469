package io.linkly.iii.engine.workers.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.engine.workers.state.StateConfig;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import org.junit.jupiter.api.Test;

/**
 * The {@code bridge} adapter's config in {@code iii-state} and {@code iii-stream}: one required key,
 * {@code bridge_url}, a ws:// or wss:// URL; the errors name the key. The JSON Schemas the
 * configuration worker checks runtime changes against say the same.
 */
class BridgeConfigTest {

  private static JsonNode json(String text) throws Exception {
    return Json.mapper().readTree(text);
  }

  private static StateConfig state(String block) throws Exception {
    return StateConfig.from(new WorkerEntry("iii-state", json(block), "workers[2]"));
  }

  private static StreamConfig stream(String block) throws Exception {
    return StreamConfig.fromConfig(new WorkerEntry("iii-stream", json(block), "workers[1]"));
  }

  @Test
  void aBridgeAdapterTakesItsUrl() throws Exception {
    assertThat(state("{\"adapter\":{\"name\":\"bridge\",\"config\":{\"bridge_url\":\"ws://backend:49198\"}}}").adapter())
        .isEqualTo(new StateConfig.Bridge(URI.create("ws://backend:49198")));
    StreamConfig.Adapter adapter = stream("{\"adapter\":{\"name\":\"bridge\",\"config\":{\"bridge_url\":\"wss://backend/iii\"}}}").adapter();
    assertThat(adapter.kind()).isEqualTo(StreamConfig.Kind.BRIDGE);
    assertThat(adapter.bridgeUrl()).isEqualTo(URI.create("wss://backend/iii"));
  }

  @Test
  void aMissingOrWrongUrlOrAnUnknownKeyIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> state("{\"adapter\":{\"name\":\"bridge\"}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("workers[2].config.adapter.config.bridge_url: required");
    assertThatThrownBy(() -> stream("{\"adapter\":{\"name\":\"bridge\",\"config\":{}}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("workers[1].config.adapter.config.bridge_url: required");
    assertThatThrownBy(() -> state("{\"adapter\":{\"name\":\"bridge\",\"config\":{\"bridge_url\":\"http://backend:49198\"}}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("workers[2].config.adapter.config.bridge_url: must be a ws:// or wss:// URL, got 'http://backend:49198'");
    assertThatThrownBy(() -> stream("{\"adapter\":{\"name\":\"bridge\",\"config\":{\"bridge_url\":\"ws:///nohost\"}}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("workers[1].config.adapter.config.bridge_url: names no host");
    assertThatThrownBy(() -> state("{\"adapter\":{\"name\":\"bridge\",\"config\":{\"bridge_url\":\"ws://b:1\",\"store_method\":\"in_memory\"}}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("workers[2].config.adapter.config.store_method: unknown key (expected one of bridge_url)");
    assertThatThrownBy(() -> stream("{\"adapter\":{\"name\":\"bridge\",\"config\":{\"bridge_url\":\"ws://b:1\",\"redis_url\":\"redis://x\"}}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("workers[1].config.adapter.config.redis_url: unknown key");
    assertThatThrownBy(() -> stream("{\"adapter\":{\"name\":\"bridge\",\"config\":{\"bridge_url\":\"ws://b:1\"}},"
            + "\"retention\":{\"clicks\":{\"max_items\":10}}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("workers[1].config.retention: not available with the bridge adapter");
  }

  @Test
  void theSchemasAllowABridgeAdapterAndRequireItsUrl() throws Exception {
    try (IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral());
        RawWorker worker = RawWorker.connect(engine.workerUrl())) {
      for (String id : new String[] {"iii-state", "iii-stream"}) {
        assertThat(set(worker, id, "{\"adapter\":{\"name\":\"bridge\",\"config\":{}}}").path("error").path("code").asText())
            .as(id + " without bridge_url").isEqualTo("SCHEMA_INVALID");
        assertThat(set(worker, id, "{\"adapter\":{\"name\":\"bridge\",\"config\":{\"bridge_url\":\"http://x:1\"}}}").path("error").path("code").asText())
            .as(id + " with an http URL").isEqualTo("SCHEMA_INVALID");
        assertThat(set(worker, id, "{\"adapter\":{\"name\":\"bridge\",\"config\":{\"bridge_url\":\"ws://127.0.0.1:9\"}}}").has("error"))
            .as(id + " with a ws URL").isFalse();
      }
      assertThat(set(worker, "iii-state", "{\"adapter\":{\"name\":\"kv\",\"config\":{\"bridge_url\":\"ws://127.0.0.1:9\"}}}").path("error").path("code").asText())
          .as("each adapter has its own keys").isEqualTo("SCHEMA_INVALID");
      assertThat(set(worker, "iii-state", "{\"adapter\":{\"name\":\"redis\",\"config\":{\"bridge_url\":\"ws://127.0.0.1:9\"}}}").path("error").path("code").asText())
          .isEqualTo("SCHEMA_INVALID");
      assertThat(set(worker, "iii-state", "{\"adapter\":{\"name\":\"kv\",\"config\":{\"store_method\":\"in_memory\"}}}").has("error"))
          .as("kv keeps its keys").isFalse();
    }
  }

  private static JsonNode set(RawWorker worker, String id, String value) throws Exception {
    return worker.call("configuration::set", "{\"id\":\"" + id + "\",\"value\":" + value + "}");
  }
}
