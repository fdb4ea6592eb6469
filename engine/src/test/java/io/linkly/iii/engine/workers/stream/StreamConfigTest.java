package io.linkly.iii.engine.workers.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.protocol.Json;
import org.junit.jupiter.api.Test;

/** The iii-stream config block: the redis adapter's keys, retention. */
class StreamConfigTest {

  private static StreamConfig parse(String json) throws Exception {
    return StreamConfig.fromConfig(new WorkerEntry("iii-stream", Json.mapper().readTree(json), "workers[0]"));
  }

  @Test
  void redisTakesAUrlAndAnOptionalKeyPrefix() throws Exception {
    StreamConfig.Adapter plain = parse("{\"adapter\":{\"name\":\"redis\"}}").adapter();
    assertThat(plain.kind()).isEqualTo(StreamConfig.Kind.REDIS);
    assertThat(plain.redisUrl()).isEqualTo("redis://127.0.0.1:6379");
    assertThat(plain.keyPrefix()).as("upstream's key and channel names by default").isEmpty();
    StreamConfig.Adapter custom =
        parse("{\"adapter\":{\"name\":\"redis\",\"config\":{\"redis_url\":\"redis://cache:6380/2\",\"key_prefix\":\"tenant-a:\"}}}").adapter();
    assertThat(custom.redisUrl()).isEqualTo("redis://cache:6380/2");
    assertThat(custom.keyPrefix()).isEqualTo("tenant-a:");
  }

  @Test
  void rejectsUnknownKeysAndBadUrls() {
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"redis\",\"config\":{\"url\":\"redis://x\"}}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("url");
    assertThatThrownBy(() -> parse("{\"adapter\":{\"name\":\"redis\",\"config\":{\"redis_url\":\"not a url\"}}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("redis_url");
  }

  @Test
  void retentionBoundsEveryGroupOfAStreamOrOnlyTheListedOnes() throws Exception {
    StreamConfig every = parse("{\"retention\":{\"clicks\":{\"max_items\":10}}}");
    assertThat(every.maxItems("clicks", "all")).isEqualTo(10);
    assertThat(every.maxItems("clicks", "totals")).isEqualTo(10);
    assertThat(every.maxItems("other", "all")).isZero();
    StreamConfig listed = parse("{\"retention\":{\"clicks\":{\"max_items\":10,\"groups\":[\"all\"]}}}");
    assertThat(listed.maxItems("clicks", "all")).isEqualTo(10);
    assertThat(listed.maxItems("clicks", "totals")).as("a group not listed keeps every item").isZero();
    assertThatThrownBy(() -> parse("{\"retention\":{\"clicks\":{\"max_items\":10,\"groups\":[]}}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("retention.clicks.groups");
    assertThatThrownBy(() -> parse("{\"retention\":{\"clicks\":{\"max_items\":10,\"groups\":\"all\"}}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("retention.clicks.groups");
  }
}
