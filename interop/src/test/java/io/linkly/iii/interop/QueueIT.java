package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * iii-queue across SDKs (BUILTINS.md §7): a Node {@code TriggerAction.Enqueue({queue})} is
 * acknowledged with a receipt and later runs the Java function once; an unknown queue is an
 * {@code enqueue_error}; a Java {@code iii::durable::publish} reaches a Node
 * {@code durable:subscriber}, which acks by returning. The engine runs iii-queue with the builtin
 * adapter, its journal in a temp directory.
 */
class QueueIT extends InteropTest {

  private static final String QUEUE = "jobs";
  private static final String TOPIC = "interop.durable.jobs";

  @TempDir Path queueDir;

  @Override
  protected EngineConfig engineConfig() {
    ObjectNode adapter = JSON.createObjectNode().put("name", "builtin");
    adapter.putObject("config").put("file_path", queueDir.toString());
    return EngineConfig.ephemeral()
        .withSetting("iii-queue", "queue_configs", json("{\"" + QUEUE + "\":{\"type\":\"standard\"}}"))
        .withSetting("iii-queue", "adapter", adapter);
  }

  private static String enqueueCall(String functionId, String queue, JsonNode payload) {
    ArrayNode calls = JSON.createArrayNode();
    ObjectNode call = calls.addObject();
    call.put("function_id", functionId);
    call.set("payload", payload);
    call.put("action", "enqueue");
    call.put("queue", queue);
    call.put("timeoutMs", 20_000);
    return calls.toString();
  }

  /** A Java function that records every payload it is given. */
  private List<JsonNode> recordingFunction(Iii java, String id) {
    List<JsonNode> got = new CopyOnWriteArrayList<>();
    java.registerFunction(
        id,
        (data, ctx) -> {
          got.add(data);
          return Map.of("returned_by", id); // an enqueueing caller never sees this
        });
    awaitFunction(id);
    return got;
  }

  /** engine::queue::topic_stats for a named queue or a durable topic. */
  private static JsonNode stats(Iii java, String queueOrTopic) {
    return java.trigger(TriggerRequest.of("engine::queue::topic_stats", Map.of("topic", queueOrTopic)));
  }

  /** Waits until nothing is waiting, in flight or dead in {@code queueOrTopic}: every message was acked. */
  private void awaitSettled(Iii java, String queueOrTopic) {
    await(queueOrTopic + " empty, nothing in flight, no dead letter")
        .atMost(WAIT)
        .until(
            () -> {
              JsonNode s = stats(java, queueOrTopic);
              return s.path("depth").asLong(-1) == 0 && s.path("in_flight").asLong(0) == 0 && s.path("dlq_depth").asLong(-1) == 0;
            });
    awaitNoPendingInvocations();
  }

  @Test
  void nodeEnqueueResolvesAReceiptAndTheJavaHandlerRunsOnceWithThePayload() throws Exception {
    Iii java = javaWorker("java");
    List<JsonNode> got = recordingFunction(java, "java::job");
    JsonNode payload = richPayload(UUID.randomUUID().toString());

    NodeWorker node = node("call", "node", Map.of("CALLS", enqueueCall("java::job", QUEUE, payload)));
    assertThat(node.awaitExit(WAIT)).as("node exit\n%s", node.describe()).isZero();

    List<JsonNode> results = node.events("result");
    assertThat(results).as("outcomes\n%s", node.describe()).hasSize(1);
    JsonNode value = results.getFirst().path("value");
    assertThat(results.getFirst().path("is_undefined").asBoolean()).as("enqueue resolves a value").isFalse();
    assertThat(value.isObject()).as("resolved %s", value).isTrue();
    assertThat(value.size()).as("only a receipt, never the handler's result: %s", value).isEqualTo(1);
    assertThat(value.path("messageReceiptId").isTextual()).as("messageReceiptId is a string: %s", value).isTrue();
    String receipt = value.path("messageReceiptId").textValue();
    assertThat(UUID.fromString(receipt).toString()).as("messageReceiptId is a UUID").isEqualTo(receipt.toLowerCase());

    await("java::job called from the queue").atMost(WAIT).until(() -> !got.isEmpty());
    awaitSettled(java, QUEUE);
    assertThat(got).as("java::job invocations").hasSize(1);
    assertJson(got.getFirst()).as("payload as the Java handler got it from the queue").isEqualTo(payload);
  }

  @Test
  void nodeEnqueueToAnUnknownQueueRejectsWithEnqueueErrorNamingTheQueue() throws Exception {
    Iii java = javaWorker("java");
    List<JsonNode> got = recordingFunction(java, "java::job");

    NodeWorker node =
        node("call", "node", Map.of("CALLS", enqueueCall("java::job", "no-such-queue", json("{\"n\":1}"))));
    assertThat(node.awaitExit(WAIT)).as("node exit\n%s", node.describe()).isZero();

    assertThat(node.events("result")).as("no resolution\n%s", node.describe()).isEmpty();
    List<JsonNode> errors = node.events("error");
    assertThat(errors).as("outcomes\n%s", node.describe()).hasSize(1);
    JsonNode error = errors.getFirst();
    assertThat(error.path("code").asText()).as("%s", error).isEqualTo("enqueue_error");
    assertThat(error.path("message").asText()).as("%s", error).contains("no-such-queue");
    awaitNoPendingInvocations();
    assertThat(got).as("java::job is never called").isEmpty();
    assertThat(stats(java, QUEUE).path("depth").asLong(-1)).as("nothing landed in %s", QUEUE).isZero();
  }

  @Test
  void nodeDurableSubscriberGetsAJavaDurablePublishOnceAndAcksByReturning() throws Exception {
    String functionId = "node::on-durable-job";
    NodeWorker node =
        node(
            "bind",
            "node",
            Map.of("TRIGGER_TYPE", "durable:subscriber", "FUNCTION_ID", functionId, "TRIGGER_CONFIG", "{\"topic\":\"" + TOPIC + "\"}"));
    awaitBinding("durable:subscriber", functionId);
    Iii java = javaWorker("java");
    JsonNode payload = richPayload(UUID.randomUUID().toString());

    JsonNode published =
        java.trigger(TriggerRequest.of("iii::durable::publish", Map.of("topic", TOPIC, "data", payload)));
    assertThat(published == null || published.isNull()).as("publish returns nothing, got %s", published).isTrue();

    JsonNode call = node.awaitCount("called", 1).getFirst();
    assertThat(call.path("data_is_undefined").asBoolean()).isFalse();
    assertJson(call.path("data")).as("payload as the Node subscriber got it").isEqualTo(payload);
    awaitSettled(java, TOPIC);
    node.closeStdin();
    assertThat(node.awaitExit(WAIT)).as("node exit\n%s", node.describe()).isZero();
    assertThat(node.events("called")).as("deliveries\n%s", node.describe()).hasSize(1);
  }
}
