package io.linkly.iii.engine.workers.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.WorkerEntry;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class QueueConfigTest {

  private static QueueConfig parse(String yaml) throws ConfigException {
    EngineConfig config = EngineConfig.parse("workers:\n  - name: iii-queue\n    config:\n" + yaml.indent(6), name -> null);
    WorkerEntry entry = config.entries("iii-queue").get(0);
    return QueueConfig.from(ConfigBlock.of(entry));
  }

  @Test
  void defaultsAreADurableBuiltinStoreAndTheDefaultQueue() throws Exception {
    QueueConfig config = QueueConfig.from(new ConfigBlock("workers[0].config", null));
    QueueConfig.Builtin builtin = (QueueConfig.Builtin) config.adapter();
    assertThat(builtin.dir()).isEqualTo(Path.of("./data/queue"));
    assertThat(builtin.durable()).isTrue();
    QueueConfig.NamedQueue defaults = config.queues().get("default");
    assertThat(defaults.retry()).isEqualTo(new Retry(3, 1000));
    assertThat(defaults.concurrency()).isEqualTo(10);
    assertThat(defaults.fifo()).isFalse();
  }

  @Test
  void linklysClicksQueueParses() throws Exception {
    QueueConfig config = parse("""
        adapter: {name: builtin, config: {store_method: file_based, file_path: /tmp/q}}
        queue_configs:
          clicks: {type: standard, max_retries: 5, concurrency: 5}
          payment: {type: fifo, message_group_field: transaction_id, max_retries: 10, concurrency: 2, backoff_ms: 50, max_backoff_ms: 400}
        """);
    assertThat(config.queues()).containsKeys("clicks", "payment", "default");
    assertThat(config.queues().get("clicks").retry().maxRetries()).isEqualTo(5);
    assertThat(config.queues().get("payment").fifo()).isTrue();
    assertThat(config.queues().get("payment").retry().backoffMs()).isEqualTo(50);
    assertThat(config.queues().get("payment").retry().maxBackoffMs()).isEqualTo(400);
  }

  @Test
  void theRabbitAdapterTakesUpstreamsKeysAndANamespace() throws Exception {
    QueueConfig config = parse("""
        adapter: {name: rabbitmq, config: {amqp_url: "amqp://guest:secret@127.0.0.1:5672/%2f", namespace: linkly, prefetch_count: 10, max_attempts: 3}}
        """);
    QueueConfig.RabbitMq rabbit = (QueueConfig.RabbitMq) config.adapter();
    assertThat(rabbit.namespace()).isEqualTo("linkly");
    assertThat(rabbit.safeUrl()).doesNotContain("secret");
  }

  @Test
  void badValuesAreRejectedWithUpstreamsWording() {
    assertThatThrownBy(() -> parse("queue_configs: {q: {type: lifo}}"))
        .hasMessageContaining("Queue 'q' has invalid type 'lifo'. Must be 'standard' or 'fifo'");
    assertThatThrownBy(() -> parse("queue_configs: {q: {type: fifo}}"))
        .hasMessageContaining("Queue 'q' is of type 'fifo' but 'message_group_field' is not set");
    assertThatThrownBy(() -> parse("queue_configs: {q: {concurrency: 0}}"))
        .hasMessageContaining("Queue 'q' has 'concurrency' 0; it must be at least 1");
    assertThatThrownBy(() -> parse("queue_configs: {q: {max_priority: 0}}"))
        .hasMessageContaining("it must be between 1 and 255");
    assertThatThrownBy(() -> parse("queue_configs: {q: {retries: 3}}"))
        .hasMessageContaining("workers[0].config.queue_configs.q.retries: unknown key");
    assertThatThrownBy(() -> parse("queue_configs: {q: {max_backoff_ms: 0}}"))
        .hasMessageContaining("max_backoff_ms");
    assertThatThrownBy(() -> parse("adapter: {name: redis}")).hasMessageContaining("not supported");
    assertThatThrownBy(() -> parse("adapter: {name: builtin, config: {mode: x}}")).hasMessageContaining("unknown key");
    assertThatThrownBy(() -> parse("adapter: {name: rabbitmq, config: {amqp_url: \"http://x\"}}")).hasMessageContaining("amqp://");
    assertThatThrownBy(() -> parse("surprise: 1")).hasMessageContaining("unknown key");
  }
}
