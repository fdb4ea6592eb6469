package io.linkly.iii.engine.workers.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.protocol.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** README promises of iii-queue with no test before: {@code attempt_timeout_ms} and {@code max_bytes}. */
class QueueBoundsTest {

  @TempDir Path dir;
  private IiiEngine engine;
  private QueueClient client;
  private final AtomicInteger calls = new AtomicInteger();

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  private void start(ObjectNode adapterConfig, ObjectNode queueSettings) throws Exception {
    ObjectNode adapter = Json.object().put("name", "builtin");
    adapter.set("config", adapterConfig.put("file_path", dir.resolve("queue").toString()));
    ObjectNode config = Json.object();
    config.set("adapter", adapter);
    config.set("queue_configs", QueueScenarios.queues("q", queueSettings));
    engine = IiiEngine.start(EngineConfig.ephemeral().with(QueueWorker.NAME, config));
    engine.core().registerFunction(
        engine.core().registerBuiltinWorker("hang"), FunctionDefinition.of("hang::fn", "never answers"),
        call -> {
          calls.incrementAndGet();
          return new CompletableFuture<>();
        });
    client = new QueueClient(engine.workerUrl());
  }

  @Test
  void anAttemptThatOutlivesAttemptTimeoutMsFails() throws Exception {
    start(Json.object(), QueueScenarios.settings("max_retries", 0, "concurrency", 1, "attempt_timeout_ms", 300));
    String receipt = client.enqueued("q", "hang::fn", QueueClient.payload("n", 1));
    await().atMost(Duration.ofSeconds(30)).until(
        () -> client.result("engine::queue::topic_stats", "topic", "q").get("dlq_depth").asLong() == 1);
    JsonNode letter = client.result("engine::queue::dlq_messages", "queue", "q").get(0);
    assertThat(letter.get("id").asText()).isEqualTo(receipt);
    assertThat(letter.get("attempts").asInt()).isEqualTo(1);
    assertThat(letter.get("error").asText()).contains("300 ms", "attempt_timeout_ms");
    assertThat(calls.get()).isEqualTo(1);
  }

  @Test
  void aStoreFullOfPayloadBytesRefusesTheEnqueue() throws Exception {
    // each payload below is {"s":"<30 chars>"}: 38 bytes; two fit under 100, a third does not
    start(Json.object().put("max_bytes", 100), QueueScenarios.settings("concurrency", 1));
    String thirty = "x".repeat(30);
    client.enqueued("q", "hang::fn", QueueClient.payload("s", thirty));
    client.enqueued("q", "hang::fn", QueueClient.payload("s", thirty));
    JsonNode refused = client.enqueue("q", "hang::fn", QueueClient.payload("s", thirty));
    assertThat(refused.path("error").path("code").asText()).isEqualTo("enqueue_error");
    assertThat(refused.path("error").path("message").asText()).contains("cannot take more messages", "max_bytes");
    // a smaller message still fits: the bound is on bytes, not on a count
    JsonNode small = client.enqueue("q", "hang::fn", QueueClient.payload("s", ""));
    assertThat(small.has("error")).as("an 8-byte payload fits in the 24 bytes left: %s", small).isFalse();
  }
}
