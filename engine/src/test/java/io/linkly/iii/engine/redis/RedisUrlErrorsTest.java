package io.linkly.iii.engine.redis;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.workers.cron.CronConfig;
import io.linkly.iii.engine.workers.pubsub.PubSubConfig;
import io.linkly.iii.engine.workers.state.StateConfig;
import io.linkly.iii.engine.workers.stream.StreamWorker;
import io.linkly.iii.protocol.Json;
import org.junit.jupiter.api.Test;

/** A malformed Redis URL is refused naming the key, and the password in it never reaches the message. */
class RedisUrlErrorsTest {

  private static final String BAD = "redis://u:s3cret@[bad";

  private static WorkerEntry entry(String worker) throws Exception {
    return new WorkerEntry(worker, Json.mapper().readTree("{\"adapter\":{\"name\":\"redis\",\"config\":{\"redis_url\":\"" + BAD + "\"}}}"),
        "workers[0]");
  }

  @Test
  void everyRedisAdapterMasksThePasswordOfAUrlItRefuses() {
    assertThatThrownBy(() -> CronConfig.from(entry("iii-cron")))
        .hasMessageContaining("redis_url: not a Redis URL").hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> PubSubConfig.fromConfig(entry("iii-pubsub")))
        .hasMessageContaining("redis_url: not a Redis URL").hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> StateConfig.from(entry("iii-state")))
        .hasMessageContaining("redis_url: not a Redis URL").hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> StreamWorker.fromConfig(entry("iii-stream")))
        .hasMessageContaining("redis_url: not a Redis URL").hasMessageNotContaining("s3cret");
  }
}
