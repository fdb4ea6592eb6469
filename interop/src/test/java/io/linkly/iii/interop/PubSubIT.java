package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerBinding;
import io.linkly.iii.sdk.TriggerRequest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * iii-pubsub across SDKs (PROTOCOL.md §5.4, BUILTINS.md §5): {@code publish {topic, data}} reaches
 * every {@code subscribe} binding of the topic with the raw {@code data} as its payload, once.
 */
class PubSubIT extends InteropTest {

  private static final String TOPIC = "interop.orders";

  private NodeWorker subscriber(String role, String functionId) {
    NodeWorker node =
        node(
            "bind",
            role,
            Map.of("TRIGGER_TYPE", "subscribe", "FUNCTION_ID", functionId, "TRIGGER_CONFIG", "{\"topic\":\"" + TOPIC + "\"}"));
    awaitBinding("subscribe", functionId);
    return node;
  }

  private static void publish(Iii java, String topic, JsonNode data) {
    JsonNode result = java.trigger(TriggerRequest.of("publish", Map.of("topic", topic, "data", data)));
    assertThat(result == null || result.isNull()).as("publish returns nothing, got %s", result).isTrue();
  }

  /** Different JSON kinds, each marked so a duplicate or a swap would show. */
  private static List<JsonNode> events() {
    String marker = UUID.randomUUID().toString();
    return List.of(
        richPayload(marker),
        json("\"plain string " + marker + "\""),
        json("[1,\"two\",{\"marker\":\"" + marker + "\"}]"),
        json("42"));
  }

  /** The payloads a Node subscriber got, once it has the expected number, after the engine is idle. */
  private List<JsonNode> received(NodeWorker node, int count) {
    node.awaitCount("called", count);
    awaitNoPendingInvocations();
    node.closeStdin();
    assertThat(node.awaitExit(WAIT)).as("node exit\n%s", node.describe()).isZero();
    List<JsonNode> calls = node.events("called");
    assertThat(calls).allSatisfy(c -> assertThat(c.path("data_is_undefined").asBoolean()).isFalse());
    return calls.stream().map(c -> c.get("data")).toList();
  }

  @Test
  void nodeSubscriberGetsEachJavaPublishOnceAsRawData() throws Exception {
    NodeWorker node = subscriber("node", "node::on-order");
    Iii java = javaWorker("java");
    List<JsonNode> published = events();

    publish(java, "interop.elsewhere", json("{\"not\":\"for node\"}"));
    for (JsonNode data : published) {
      publish(java, TOPIC, data);
    }

    List<JsonNode> got = received(node, published.size());
    assertThat(got).as("deliveries\n%s", node.describe()).hasSize(published.size());
    // Delivery order is not promised (upstream spawns one task per subscriber call).
    for (JsonNode data : published) {
      assertThat(got.stream().filter(g -> sameJson(g, data)))
          .as("%s delivered exactly once, raw (no envelope, no topic)", data)
          .hasSize(1);
    }
  }

  @Test
  void twoNodeSubscribersOfOneTopicBothGetEveryEvent() throws Exception {
    NodeWorker first = subscriber("node-1", "node::first");
    NodeWorker second = subscriber("node-2", "node::second");
    Iii java = javaWorker("java");
    List<JsonNode> published = events().subList(0, 2);

    for (JsonNode data : published) {
      publish(java, TOPIC, data);
    }

    for (NodeWorker node : List.of(first, second)) {
      List<JsonNode> got = received(node, published.size());
      assertThat(got).as("deliveries\n%s", node.describe()).hasSize(published.size());
      for (JsonNode data : published) {
        assertThat(got.stream().filter(g -> sameJson(g, data))).as("%s once at %s", data, node).hasSize(1);
      }
    }
  }

  @Test
  void javaSubscriberGetsWhatNodePublishes() throws Exception {
    Iii java = javaWorker("java");
    List<JsonNode> got = new CopyOnWriteArrayList<>();
    java.registerFunction(
        "java::on-order",
        (data, ctx) -> {
          got.add(data);
          return null;
        });
    java.registerTrigger(TriggerBinding.of("subscribe", "java::on-order", Map.of("topic", TOPIC)));
    awaitBinding("subscribe", "java::on-order");
    List<JsonNode> published = events();
    ArrayNode calls = JSON.createArrayNode();
    for (JsonNode data : published) {
      ObjectNode call = calls.addObject();
      call.put("function_id", "publish");
      call.putObject("payload").put("topic", TOPIC).set("data", data);
      call.put("timeoutMs", 20_000);
    }

    NodeWorker node = node("call", "node", Map.of("CALLS", calls.toString()));
    assertThat(node.awaitExit(WAIT)).as("node exit\n%s", node.describe()).isZero();

    List<JsonNode> results = node.events("result");
    assertThat(results).as("outcomes\n%s", node.describe()).hasSize(published.size());
    assertThat(results)
        .as("publish resolves undefined in Node")
        .allSatisfy(r -> assertThat(r.path("is_undefined").asBoolean()).as("%s", r).isTrue());
    await("Node's events at the Java subscriber").atMost(WAIT).until(() -> got.size() >= published.size());
    awaitNoPendingInvocations();
    assertThat(got).hasSize(published.size());
    for (JsonNode data : published) {
      assertThat(got.stream().filter(g -> sameJson(g, data))).as("%s delivered once, raw", data).hasSize(1);
    }
  }
}
