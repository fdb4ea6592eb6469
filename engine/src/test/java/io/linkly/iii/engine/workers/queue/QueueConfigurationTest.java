package io.linkly.iii.engine.workers.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.testing.LogCapture;
import io.linkly.iii.protocol.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * iii-queue follows its stored configuration (BUILTINS.md §7.2): named queues added, changed and
 * removed at run time; an adapter change moves every consumer to the new transport, and the
 * messages the old one held are still delivered (upstream strands them); a transport that cannot
 * be built keeps the old one.
 */
class QueueConfigurationTest {

  @TempDir Path dir;

  private IiiEngine engine;
  private QueueClient client;
  private LogCapture logs;
  /** The n of every message t::handle finished. */
  private final Set<Integer> handled = ConcurrentHashMap.newKeySet();
  /** Calls of t::handle waiting for the test to let them finish; none wait once {@link #open} is done. */
  private final List<CompletableFuture<JsonNode>> held = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> open = new CompletableFuture<>();

  @AfterEach
  void stop() {
    open.complete(null);
    held.forEach(h -> h.complete(null));
    if (client != null) {
      client.close();
    }
    if (engine != null) {
      engine.close();
    }
    if (logs != null) {
      logs.close();
    }
  }

  private void start(String queueBlock) throws Exception {
    logs = new LogCapture();
    engine = IiiEngine.start(EngineConfig.ephemeral().with(QueueWorker.NAME, Json.mapper().readTree(queueBlock)));
    Worker functions = engine.core().registerBuiltinWorker("test-functions");
    engine.core().registerFunction(functions, FunctionDefinition.of("t::handle", "test handler"), call -> {
      int n = call.data().get("n").asInt();
      if (open.isDone()) {
        handled.add(n);
        return CompletableFuture.completedFuture(Json.object());
      }
      CompletableFuture<JsonNode> answer = new CompletableFuture<>();
      held.add(answer);
      return answer.thenApply(done -> {
        handled.add(n);
        return Json.object();
      });
    });
    client = new QueueClient(engine.workerUrl());
  }

  private void set(String value) throws Exception {
    JsonNode answer = client.worker().call("configuration::set", "{\"id\":\"iii-queue\",\"value\":" + value + "}");
    assertThat(answer.has("error")).as("configuration::set answered %s", answer).isFalse();
  }

  private JsonNode enqueue(String queue, int n) throws Exception {
    return client.enqueue(queue, "t::handle", Json.object().put("n", n));
  }

  private static final String IN_MEMORY = "{\"name\":\"builtin\",\"config\":{\"store_method\":\"in_memory\"}}";

  @Test
  void queuesAddedChangedAndRemovedAtRunTime() throws Exception {
    start("{\"adapter\":" + IN_MEMORY + ",\"queue_configs\":{\"first\":{\"concurrency\":2}}}");
    open.complete(null);
    assertThat(enqueue("second", 1).path("error").path("message").asText()).isEqualTo("Queue 'second' not found");

    set("{\"adapter\":" + IN_MEMORY + ",\"queue_configs\":{\"first\":{\"concurrency\":2},\"second\":{\"concurrency\":1}}}");
    await().until(() -> !logs.containing("iii-queue: configuration applied").isEmpty());
    client.enqueued("second", "t::handle", Json.object().put("n", 2));
    await().until(() -> handled.contains(2));

    set("{\"adapter\":" + IN_MEMORY + ",\"queue_configs\":{\"first\":{\"concurrency\":2},\"second\":{\"concurrency\":3}}}");
    await().untilAsserted(() ->
        assertThat(client.result("engine::queue::topic_stats", "topic", "second").get("config").get("concurrency").asInt()).isEqualTo(3));
    client.enqueued("second", "t::handle", Json.object().put("n", 3));
    await().until(() -> handled.contains(3));

    set("{\"adapter\":" + IN_MEMORY + ",\"queue_configs\":{\"first\":{\"concurrency\":2}}}");
    await().untilAsserted(() ->
        assertThat(enqueue("second", 4).path("error").path("message").asText()).isEqualTo("Queue 'second' not found"));
    client.enqueued("first", "t::handle", Json.object().put("n", 5));
    await().until(() -> handled.contains(5));
  }

  @Test
  void anAdapterChangeMovesTheConsumersAndTheOldTransportsMessagesAreStillDelivered() throws Exception {
    start("{\"adapter\":" + IN_MEMORY + ",\"queue_configs\":{\"first\":{\"concurrency\":1}}}");
    for (int n = 1; n <= 5; n++) {
      client.enqueued("first", "t::handle", Json.object().put("n", n));
    }
    await().until(() -> held.size() == 1); // one in flight, four waiting in the in-memory transport

    String durable = "{\"name\":\"builtin\",\"config\":{\"store_method\":\"file_based\",\"file_path\":\""
        + dir.resolve("queue") + "\"}}";
    set("{\"adapter\":" + durable + ",\"queue_configs\":{\"first\":{\"concurrency\":1}}}");
    await().until(() -> !logs.containing("iii-queue: transport changed to builtin").isEmpty());
    for (int n = 6; n <= 8; n++) {
      client.enqueued("first", "t::handle", Json.object().put("n", n));
    }

    open.complete(null);
    held.forEach(h -> h.complete(null));
    await().atMost(Duration.ofSeconds(30)).until(() -> handled.size() == 8);
    assertThat(handled).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8);
    await().until(() -> !logs.containing("iii-queue: the previous builtin transport is drained and closed").isEmpty());
    assertThat(dir.resolve("queue").resolve("queue.journal")).as("the new transport is the durable one").exists();
  }

  @Test
  void goingBackToATransportThatIsStillDrainingWaitsUntilItHasClosed() throws Exception {
    String durable = "{\"name\":\"builtin\",\"config\":{\"store_method\":\"file_based\",\"file_path\":\""
        + dir.resolve("queue") + "\"}}";
    start("{\"adapter\":" + durable + ",\"queue_configs\":{\"first\":{\"concurrency\":1}}}");
    client.enqueued("first", "t::handle", Json.object().put("n", 1));
    await().until(() -> held.size() == 1); // in flight in the journal's transport

    set("{\"adapter\":" + IN_MEMORY + ",\"queue_configs\":{\"first\":{\"concurrency\":1}}}");
    await().until(() -> !logs.containing("iii-queue: transport changed to builtin").isEmpty());
    // back to the journal while its transport still holds message 1: two stores on one directory would corrupt it
    set("{\"adapter\":" + durable + ",\"queue_configs\":{\"first\":{\"concurrency\":1}}}");
    await().until(() -> logs.containing("iii-queue: configuration change could not be applied").stream()
        .anyMatch(line -> line.contains("still delivering what it held")));

    open.complete(null);
    held.forEach(h -> h.complete(null));
    await().until(() -> !logs.containing("iii-queue: the previous builtin transport is drained and closed").isEmpty());
    // the same value again is no change to the configuration worker: the next edit applies it
    set("{\"adapter\":" + durable + ",\"queue_configs\":{\"first\":{\"concurrency\":2}}}");
    await().until(() -> logs.containing("iii-queue: transport changed to builtin").size() == 2);
    client.enqueued("first", "t::handle", Json.object().put("n", 2));
    await().until(() -> handled.containsAll(List.of(1, 2)));
  }

  @Test
  void aTransportThatCannotBeBuiltKeepsTheOldOne() throws Exception {
    start("{\"adapter\":" + IN_MEMORY + "}");
    open.complete(null);
    set("{\"adapter\":{\"name\":\"rabbitmq\",\"config\":{\"amqp_url\":\"amqp://guest:guest@127.0.0.1:1/%2f\"}}}");
    await().until(() -> !logs.containing("iii-queue: configuration change could not be applied, keeping the previous settings").isEmpty());
    client.enqueued("default", "t::handle", Json.object().put("n", 1));
    await().until(() -> handled.contains(1));
  }

  @Test
  void theSchemaRefusesAQueueWithoutItsGroupFieldsType() throws Exception {
    start("{\"adapter\":" + IN_MEMORY + "}");
    JsonNode refused = client.worker().call("configuration::set",
        "{\"id\":\"iii-queue\",\"value\":{\"queue_configs\":{\"q\":{\"type\":\"lifo\"}}}}");
    assertThat(refused.path("error").path("code").asText()).isEqualTo("SCHEMA_INVALID");
  }
}
