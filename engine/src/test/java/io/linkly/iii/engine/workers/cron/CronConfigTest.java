package io.linkly.iii.engine.workers.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.BuiltinWorkers;
import io.linkly.iii.protocol.Json;
import org.junit.jupiter.api.Test;

/** The iii-cron config block: upstream's shape (BUILTINS.md §8), read strictly. */
class CronConfigTest {

  private static CronConfig parse(String json) throws Exception {
    return CronConfig.from(new WorkerEntry("iii-cron", Json.mapper().readTree(json), "workers[3]"));
  }

  @Test
  void defaultsToProcessLocalKvLocks() throws Exception {
    CronConfig.Kv defaults = new CronConfig.Kv(30_000, "cron_locks");
    assertThat(CronConfig.from(new WorkerEntry("iii-cron", null, "workers[3]")).adapter()).isEqualTo(defaults);
    assertThat(parse("{}").adapter()).isEqualTo(defaults);
    assertThat(parse("{\"adapter\":{\"name\":\"kv\"}}").adapter()).isEqualTo(defaults);
    assertThat(parse("{\"adapter\":{\"name\":\"kv\",\"config\":{\"store_method\":\"file_based\",\"file_path\":\"./data/kv\","
        + "\"save_interval_ms\":1000,\"lock_ttl_ms\":5000,\"lock_index\":\"my_locks\"}}}").adapter())
        .as("upstream's kv keys are all accepted").isEqualTo(new CronConfig.Kv(5000, "my_locks"));
  }

  @Test
  void redisTakesAUrlWithALocalDefault() throws Exception {
    assertThat(parse("{\"adapter\":{\"name\":\"redis\"}}").adapter()).isEqualTo(new CronConfig.Redis("redis://127.0.0.1:6379"));
    assertThat(parse("{\"adapter\":{\"name\":\"redis\",\"config\":{\"redis_url\":\"redis://cache:6380/2\"}}}").adapter())
        .isEqualTo(new CronConfig.Redis("redis://cache:6380/2"));
  }

  @Test
  void rejectsWhatUpstreamRejectsNamingTheKey() {
    assertThatThrownBy(() -> parse("{\"adapters\":{}}"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("workers[3].config.adapters: unknown key");
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"does-not-exist\"}}"))
        .hasMessage("workers[3].config.adapter.name: unknown adapter 'does-not-exist' (expected kv or redis)");
    assertThatThrownBy(() -> parse("{\"adapter\":{}}")).hasMessage("workers[3].config.adapter.name: required (kv or redis)");
    assertThatThrownBy(() -> parse("{\"adapter\":\"kv\"}")).hasMessage("workers[3].config.adapter: must be a mapping");
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"kv\",\"config\":{\"store_method\":\"weird\"}}}"))
        .hasMessage("workers[3].config.adapter.config.store_method: must be in_memory or file_based, got 'weird'");
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"kv\",\"config\":{\"bogus\":1}}}"))
        .hasMessageStartingWith("workers[3].config.adapter.config.bogus: unknown key");
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"kv\",\"config\":{\"save_interval_ms\":50}}}"))
        .hasMessage("workers[3].config.adapter.config.save_interval_ms: must be between 100 and 3600000, got 50");
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"kv\",\"config\":{\"lock_ttl_ms\":0}}}"))
        .hasMessage("workers[3].config.adapter.config.lock_ttl_ms: must be positive, got 0");
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"kv\",\"config\":{\"lock_index\":\"\"}}}"))
        .hasMessage("workers[3].config.adapter.config.lock_index: must not be empty");
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"redis\",\"config\":{\"lock_ttl_ms\":5000}}}"))
        .as("the redis lock TTL is fixed, as upstream's").hasMessageStartingWith("workers[3].config.adapter.config.lock_ttl_ms: unknown key");
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"redis\",\"config\":{\"redis_url\":\"http://x\"}}}"))
        .hasMessageStartingWith("workers[3].config.adapter.config.redis_url: not a Redis URL");
  }

  @Test
  void runsByDefaultAsUpstreamsDoesAndIsAcceptedInConfigYaml() throws Exception {
    assertThat(EngineConfig.defaults().entries("iii-cron")).hasSize(1);
    assertThat(EngineConfig.ephemeral().entries("iii-cron")).hasSize(1);
    EngineConfig yaml = EngineConfig.parse(
        "workers:\n  - name: iii-cron\n    config:\n      adapter:\n        name: kv\n        config:\n          lock_ttl_ms: ${TTL:10000}\n",
        name -> null);
    assertThat(BuiltinWorkers.standard().create(yaml)).extracting(BuiltinWorker::name).contains("iii-cron");
    assertThat(BuiltinWorkers.standard().create(EngineConfig.parse("workers:\n  - name: iii-cron\n", name -> null)))
        .extracting(BuiltinWorker::name).contains("iii-cron");
    assertThat(BuiltinWorkers.standard().create(EngineConfig.parse("workers: []\n", name -> null)))
        .as("not mandatory: a config file without it runs without it").extracting(BuiltinWorker::name).doesNotContain("iii-cron");
    assertThatThrownBy(() -> BuiltinWorkers.standard().create(
        EngineConfig.parse("workers:\n  - name: iii-cron\n    config:\n      adapter: {name: nats}\n", name -> null)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("workers[0].config.adapter.name: unknown adapter 'nats'");
  }
}
