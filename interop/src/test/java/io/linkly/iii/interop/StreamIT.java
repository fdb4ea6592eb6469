package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * iii-stream across SDKs (PROTOCOL.md §5.3 and §8.3, BUILTINS.md §4): a Node {@code stream}
 * trigger gets upstream's wrapper message for writes made from Java, and the {@code stream::*}
 * reads resolve upstream's shapes in Node.
 */
class StreamIT extends InteropTest {

  private static final String STREAM = "clicks";
  private static final String GROUP = "all";
  private static final Set<String> WRAPPER_FIELDS = Set.of("type", "timestamp", "streamName", "groupId", "id", "event");
  /**
   * Fields this engine adds to the wrapper, beyond upstream's: a per-group sequence number and
   * the engine's epoch, which let a subscriber resume. Clients that ignore unknown fields (the
   * Node SDK does) are unaffected; anything else extra fails the test.
   */
  private static final Set<String> ENGINE_EXTRAS = Set.of("seq", "epoch");

  private static JsonNode set(Iii java, String stream, String group, String item, JsonNode data) {
    return java.trigger(
        TriggerRequest.of("stream::set", Map.of("stream_name", stream, "group_id", group, "item_id", item, "data", data)));
  }

  private static Map<String, Object> call(String tag, String functionId, Map<String, ?> payload) {
    return Map.of("tag", tag, "function_id", functionId, "payload", payload, "timeoutMs", 20_000);
  }

  private static void assertWrapper(JsonNode wrapper, String item, String kind, JsonNode data) {
    Set<String> fields = new TreeSet<>();
    wrapper.properties().forEach(p -> fields.add(p.getKey()));
    assertThat(fields).as("wrapper fields of %s", wrapper).containsAll(WRAPPER_FIELDS);
    fields.removeAll(WRAPPER_FIELDS);
    assertThat(fields).as("fields beyond upstream's wrapper in %s", wrapper).isSubsetOf(ENGINE_EXTRAS);
    assertThat(wrapper.path("type").asText()).isEqualTo("stream");
    assertThat(wrapper.get("timestamp").isIntegralNumber()).as("timestamp in ms: %s", wrapper).isTrue();
    assertThat(wrapper.get("timestamp").asLong()).isPositive();
    assertThat(wrapper.path("streamName").asText()).isEqualTo(STREAM);
    assertThat(wrapper.path("groupId").asText()).isEqualTo(GROUP);
    assertThat(wrapper.path("id").asText()).as("item id of %s", wrapper).isEqualTo(item);
    assertJson(wrapper.get("event")).as("event of %s", wrapper).isEqualTo(event(kind, data));
  }

  private static JsonNode event(String kind, JsonNode data) {
    ObjectNode event = JSON.createObjectNode();
    event.put("type", kind);
    event.set("data", data);
    return event;
  }

  @Test
  void nodeStreamTriggerGetsTheWrapperForJavaWritesInOrderAndNodeReadsTheGroup() throws Exception {
    NodeWorker node =
        node(
            "bind",
            "node",
            Map.of(
                "TRIGGER_TYPE", "stream",
                "FUNCTION_ID", "node::on-click",
                "TRIGGER_CONFIG", "{\"stream_name\":\"" + STREAM + "\",\"group_id\":\"" + GROUP + "\"}"));
    awaitBinding("stream", "node::on-click");
    Iii java = javaWorker("java");
    List<JsonNode> values =
        List.of(
            json("{\"n\":1,\"at\":\"button-a\"}"),
            richPayload("second click"),
            json("[\"third\",3]"));

    // Outside the binding's stream and group: filtered when written, never delivered.
    set(java, "views", GROUP, "v1", json("{\"no\":1}"));
    set(java, STREAM, "some-other-group", "o1", json("{\"no\":2}"));
    for (int i = 0; i < values.size(); i++) {
      JsonNode result = set(java, STREAM, GROUP, "c" + (i + 1), values.get(i));
      JsonNode expected = JSON.createObjectNode().putNull("old_value").set("new_value", values.get(i));
      assertJson(result).as("stream::set result").isEqualTo(expected);
    }

    List<JsonNode> calls = node.awaitCount("called", values.size());
    for (int i = 0; i < values.size(); i++) {
      assertWrapper(calls.get(i).get("data"), "c" + (i + 1), "create", values.get(i));
    }

    node.command("call", call("list", "stream::list", Map.of("stream_name", STREAM, "group_id", GROUP)));
    node.command("call", call("get", "stream::get", Map.of("stream_name", STREAM, "group_id", GROUP, "item_id", "c2")));
    node.command("call", call("missing", "stream::get", Map.of("stream_name", STREAM, "group_id", GROUP, "item_id", "nope")));
    JsonNode list = node.await("result", e -> e.path("tag").asText().equals("list"));
    assertThat(list.path("is_undefined").asBoolean()).as("%s", list).isFalse();
    assertJson(list.get("value")).as("stream::list: the values, in insertion order").isEqualTo(JSON.valueToTree(values));
    JsonNode got = node.await("result", e -> e.path("tag").asText().equals("get"));
    assertJson(got.get("value")).as("stream::get").isEqualTo(values.get(1));
    JsonNode missing = node.await("result", e -> e.path("tag").asText().equals("missing"));
    assertThat(missing.path("is_undefined").asBoolean()).as("stream::get of a missing item resolves undefined: %s", missing).isTrue();
    assertThat(missing.path("is_null").asBoolean()).isFalse();

    // An existing item: update carries the new value, delete the old one.
    JsonNode changed = json("{\"n\":1,\"at\":\"button-b\"}");
    assertJson(set(java, STREAM, GROUP, "c1", changed).get("old_value")).isEqualTo(values.get(0));
    assertWrapper(node.awaitCount("called", 4).get(3).get("data"), "c1", "update", changed);
    JsonNode deleted =
        java.trigger(TriggerRequest.of("stream::delete", Map.of("stream_name", STREAM, "group_id", GROUP, "item_id", "c3")));
    assertJson(deleted).isEqualTo(JSON.createObjectNode().set("old_value", values.get(2)));
    assertWrapper(node.awaitCount("called", 5).get(4).get("data"), "c3", "delete", values.get(2));

    awaitNoPendingInvocations();
    node.closeStdin();
    assertThat(node.awaitExit(WAIT)).isZero();
    assertThat(node.events("error")).as("no Node call failed\n%s", node.describe()).isEmpty();
    assertThat(node.events("called")).as("only the bound stream and group\n%s", node.describe()).hasSize(5);
  }
}
