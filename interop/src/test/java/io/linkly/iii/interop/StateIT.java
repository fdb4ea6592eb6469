package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * iii-state from an npm iii-sdk@0.22.1 worker (PROTOCOL.md §5.2, BUILTINS.md §3 and §6): the
 * result shapes {@code trigger()} resolves, including which results are undefined rather than
 * null, and the {@code state} trigger's event payload.
 */
class StateIT extends InteropTest {

  private static final String SCOPE = "interop-state";
  private static final String OTHER_SCOPE = "interop-state-b";
  private static final String DOC_URL = "https://iii.dev/docs/workers/iii-state#error-codes";

  /** One entry of CALLS for the Node "call" scenario. */
  private static ObjectNode call(String functionId, String payload) {
    ObjectNode call = JSON.createObjectNode();
    call.put("function_id", functionId);
    call.set("payload", json(payload));
    call.put("timeoutMs", 20_000);
    return call;
  }

  private static String keyed(String key, String rest) {
    return "{\"scope\":\"" + SCOPE + "\",\"key\":\"" + key + "\"" + (rest.isEmpty() ? "" : "," + rest) + "}";
  }

  @Test
  void stateFunctionsResolveUpstreamsShapesInNode() {
    List<ObjectNode> calls =
        List.of(
            /* 0 */ call("state::set", keyed("k1", "\"value\":{\"n\":1}")),
            /* 1 */ call("state::set", keyed("k1", "\"value\":{\"n\":2}")),
            /* 2 */ call("state::get", keyed("k1", "")),
            /* 3 */ call("state::get", keyed("missing", "")),
            /* 4 */ call("state::set", keyed("k2", "\"value\":\"text\"")),
            /* 5 */ call("state::set", "{\"scope\":\"" + OTHER_SCOPE + "\",\"key\":\"k\",\"value\":true}"),
            /* 6 */ call("state::list", "{\"scope\":\"" + SCOPE + "\"}"),
            /* 7 */ call("state::list_groups", "{}"),
            /* 8 */ call("state::delete", keyed("k2", "")),
            /* 9 */ call("state::delete", keyed("k2", "")),
            /* 10 */ call("state::get", keyed("k2", "")),
            /* 11 */ call(
                "state::update",
                keyed(
                    "counter",
                    "\"ops\":[{\"type\":\"set\",\"path\":\"name\",\"value\":\"c\"},"
                        + "{\"type\":\"increment\",\"path\":\"n\",\"by\":5},"
                        + "{\"type\":\"append\",\"path\":\"tags\",\"value\":1},"
                        + "{\"type\":\"increment\",\"path\":\"name\",\"by\":1}]")),
            /* 12 */ call(
                "state::update",
                keyed(
                    "counter",
                    "\"ops\":[{\"type\":\"increment\",\"path\":\"n\",\"by\":2},"
                        + "{\"type\":\"append\",\"path\":\"tags\",\"value\":2},"
                        + "{\"type\":\"append\",\"path\":\"name\",\"value\":\"d\"}]")),
            /* 13 */ call("state::list", "{\"scope\":\"nobody-wrote-here\"}"));
    ArrayNode list = JSON.createArrayNode();
    list.addAll(calls);

    NodeWorker node = node("call", "node", Map.of("CALLS", list.toString()));
    assertThat(node.awaitExit(WAIT)).as("node exit code\n%s", node.describe()).isZero();

    assertThat(node.events("error")).as("no call failed\n%s", node.describe()).isEmpty();
    List<JsonNode> results = node.events("result");
    assertThat(results).as("outcomes\n%s", node.describe()).hasSize(calls.size());
    for (int i = 0; i < results.size(); i++) {
      assertThat(results.get(i).path("index").asInt()).as("outcome order").isEqualTo(i);
    }

    // set on a new key: old_value is there, and null (upstream serializes it, never omits it)
    JsonNode created = value(results, 0);
    assertThat(created.has("old_value")).as("old_value present in %s", created).isTrue();
    assertJson(created).isEqualTo(json("{\"old_value\":null,\"new_value\":{\"n\":1}}"));
    assertJson(value(results, 1)).as("second set").isEqualTo(json("{\"old_value\":{\"n\":1},\"new_value\":{\"n\":2}}"));
    assertJson(value(results, 2)).as("get").isEqualTo(json("{\"n\":2}"));
    assertUndefined(results, 3, "get of a missing key");
    assertJson(value(results, 4)).isEqualTo(json("{\"old_value\":null,\"new_value\":\"text\"}"));
    assertJson(value(results, 6)).as("list: the values, in insertion order").isEqualTo(json("[{\"n\":2},\"text\"]"));
    assertJson(value(results, 7))
        .as("list_groups")
        .isEqualTo(json("{\"groups\":[\"" + SCOPE + "\",\"" + OTHER_SCOPE + "\"]}"));
    assertJson(value(results, 8)).as("delete returns the raw old value").isEqualTo(json("\"text\""));
    assertUndefined(results, 9, "delete of a missing key");
    assertUndefined(results, 10, "get after delete");

    JsonNode firstUpdate = value(results, 11);
    assertThat(firstUpdate.has("old_value")).as("old_value present in %s", firstUpdate).isTrue();
    assertThat(firstUpdate.get("old_value").isNull()).as("update of a new key: old_value null").isTrue();
    assertJson(firstUpdate.get("new_value"))
        .as("the other ops still applied")
        .isEqualTo(json("{\"name\":\"c\",\"n\":5,\"tags\":[1]}"));
    JsonNode errors = firstUpdate.get("errors");
    assertThat(errors).as("errors of %s", firstUpdate).isNotNull();
    assertThat(errors.size()).isEqualTo(1);
    JsonNode error = errors.get(0);
    assertThat(error.path("op_index").asInt()).isEqualTo(3);
    assertThat(error.path("code").asText()).isEqualTo("increment.not_number");
    assertThat(error.path("message").asText()).isNotBlank();
    assertThat(error.path("doc_url").asText()).isEqualTo(DOC_URL);

    JsonNode secondUpdate = value(results, 12);
    assertJson(secondUpdate)
        .as("errors omitted when empty")
        .isEqualTo(
            json(
                "{\"old_value\":{\"name\":\"c\",\"n\":5,\"tags\":[1]},"
                    + "\"new_value\":{\"name\":\"cd\",\"n\":7,\"tags\":[1,2]}}"));
    assertJson(value(results, 13)).as("list of an unknown scope").isEqualTo(json("[]"));
  }

  @Test
  void nodeStateTriggerReceivesCreatedUpdatedAndDeletedEvents() throws Exception {
    NodeWorker node =
        node(
            "bind",
            "node",
            Map.of(
                "TRIGGER_TYPE", "state",
                "FUNCTION_ID", "node::on-state",
                "TRIGGER_CONFIG", "{\"scope\":\"" + SCOPE + "\"}"));
    awaitBinding("state", "node::on-state");
    Iii java = javaWorker("java");

    // Not in the bound scope: filtered out when written, so it is never delivered.
    set(java, OTHER_SCOPE, "a", json("{\"v\":0}"));

    set(java, SCOPE, "a", json("{\"v\":1}"));
    assertJson(delivered(node, 1))
        .isEqualTo(
            json(
                "{\"type\":\"state\",\"event_type\":\"state:created\",\"scope\":\"" + SCOPE + "\",\"key\":\"a\","
                    + "\"old_value\":null,\"new_value\":{\"v\":1}}"));

    set(java, SCOPE, "a", json("{\"v\":2}"));
    assertJson(delivered(node, 2))
        .isEqualTo(
            json(
                "{\"type\":\"state\",\"event_type\":\"state:updated\",\"scope\":\"" + SCOPE + "\",\"key\":\"a\","
                    + "\"old_value\":{\"v\":1},\"new_value\":{\"v\":2}}"));

    JsonNode previous = java.trigger(TriggerRequest.of("state::delete", Map.of("scope", SCOPE, "key", "a")));
    assertJson(previous).isEqualTo(json("{\"v\":2}"));
    assertJson(delivered(node, 3))
        .isEqualTo(
            json(
                "{\"type\":\"state\",\"event_type\":\"state:deleted\",\"scope\":\"" + SCOPE + "\",\"key\":\"a\","
                    + "\"old_value\":{\"v\":2},\"new_value\":null}"));

    awaitNoPendingInvocations();
    node.closeStdin();
    assertThat(node.awaitExit(WAIT)).isZero();
    assertThat(node.events("called")).as("one event per write in the bound scope\n%s", node.describe()).hasSize(3);
    assertThat(node.events("called"))
        .allSatisfy(e -> assertThat(e.path("data").path("scope").asText()).isEqualTo(SCOPE));
  }

  private static void set(Iii java, String scope, String key, JsonNode value) {
    JsonNode result = java.trigger(TriggerRequest.of("state::set", Map.of("scope", scope, "key", key, "value", value)));
    assertThat(result.path("new_value")).as("state::set %s/%s", scope, key).isEqualTo(value);
  }

  /** The data of the {@code n}-th call of the Node state trigger handler (1-based). */
  private static JsonNode delivered(NodeWorker node, int n) {
    JsonNode event = node.awaitCount("called", n).get(n - 1);
    assertThat(event.path("data_is_undefined").asBoolean()).isFalse();
    return event.get("data");
  }

  private static JsonNode value(List<JsonNode> results, int index) {
    JsonNode result = results.get(index);
    assertThat(result.path("is_undefined").asBoolean()).as("outcome %d is a value: %s", index, result).isFalse();
    return result.get("value");
  }

  private static void assertUndefined(List<JsonNode> results, int index, String what) {
    JsonNode result = results.get(index);
    assertThat(result.path("is_undefined").asBoolean()).as("%s resolves undefined (not null): %s", what, result).isTrue();
    assertThat(result.path("is_null").asBoolean()).isFalse();
  }
}
