package io.linkly.iii.engine.workers.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.workers.BuiltinWorkers;
import io.linkly.iii.protocol.Json;
import org.junit.jupiter.api.Test;

/** The iii-pubsub config block: upstream's shape, read strictly. */
class PubSubConfigTest {

  private static PubSubConfig parse(String json) throws Exception {
    return PubSubConfig.fromConfig(new WorkerEntry("iii-pubsub", Json.mapper().readTree(json), "workers[0]"));
  }

  @Test
  void defaultsToTheLocalAdapter() throws Exception {
    assertThat(PubSubConfig.fromConfig(new WorkerEntry("iii-pubsub", null, "workers[0]")).adapter())
        .isEqualTo(PubSubConfig.Adapter.LOCAL);
    assertThat(parse("{}").adapter()).isEqualTo(PubSubConfig.Adapter.LOCAL);
    assertThat(parse("{\"adapter\":{\"name\":\"local\"}}").adapter()).isEqualTo(PubSubConfig.Adapter.LOCAL);
    assertThat(parse("{\"adapter\":{\"name\":\"local\",\"config\":{}}}").adapter()).isEqualTo(PubSubConfig.Adapter.LOCAL);
  }

  @Test
  void redisTakesAUrlWithALocalDefault() throws Exception {
    PubSubConfig plain = parse("{\"adapter\":{\"name\":\"redis\"}}");
    assertThat(plain.adapter()).isEqualTo(PubSubConfig.Adapter.REDIS);
    assertThat(plain.redisUrl()).isEqualTo("redis://127.0.0.1:6379");
    assertThat(parse("{\"adapter\":{\"name\":\"redis\",\"config\":{\"redis_url\":\"redis://cache:6380/2\"}}}").redisUrl())
        .isEqualTo("redis://cache:6380/2");
  }

  @Test
  void rejectsWhatUpstreamRejects() {
    assertThatThrownBy(() -> parse("{\"adapters\":{}}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("workers[0].config.adapters: unknown key");
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"kafka\"}}"))
        .hasMessageContaining("workers[0].config.adapter.name: unknown adapter 'kafka'");
    assertThatThrownBy(() -> parse("{\"adapter\":{}}")).hasMessageContaining("adapter.name: required");
    assertThatThrownBy(() -> parse("{\"adapter\":\"redis\"}")).hasMessageContaining("adapter: must be a mapping");
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"local\",\"config\":{\"x\":1}}}"))
        .hasMessageContaining("the local adapter takes no config");
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"redis\",\"config\":{\"url\":\"redis://x\"}}}"))
        .hasMessageContaining("adapter.config.url: unknown key");
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"redis\",\"config\":{\"redis_url\":\"http://x\"}}}"))
        .hasMessageContaining("adapter.config.redis_url: not a Redis URL");
  }

  @Test
  void runsByDefaultAndIsConfigurableByName() throws Exception {
    assertThat(EngineConfig.defaults().entries("iii-pubsub")).hasSize(1);
    assertThat(EngineConfig.ephemeral().entries("iii-pubsub")).hasSize(1);
    EngineConfig yaml = EngineConfig.parse(
        "workers:\n  - name: iii-pubsub\n    config:\n      adapter:\n        name: redis\n        config:\n          redis_url: ${URL:redis://127.0.0.1:6379}\n",
        name -> null);
    assertThat(BuiltinWorkers.standard().create(yaml)).extracting(w -> w.name()).contains("iii-pubsub");
    assertThatThrownBy(() -> BuiltinWorkers.standard().create(
        EngineConfig.parse("workers:\n  - name: iii-pubsub\n    config:\n      adapter: {name: nats}\n", name -> null)))
        .isInstanceOf(ConfigException.class);
  }
}
