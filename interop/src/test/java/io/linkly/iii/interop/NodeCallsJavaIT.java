package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.InvocationContext;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** An npm iii-sdk@0.22.1 worker calls functions served by a Java SDK worker (and by the engine). */
class NodeCallsJavaIT extends InteropTest {

  private record Received(JsonNode data, InvocationContext context) {}

  /** CALLS for the Node "call" scenario: [{function_id, payload, action?, timeoutMs?}, …]. */
  private static String calls(ObjectNode... calls) {
    ArrayNode list = JSON.createArrayNode();
    list.addAll(List.of(calls));
    return list.toString();
  }

  private static ObjectNode call(String functionId, JsonNode payload) {
    ObjectNode call = JSON.createObjectNode();
    call.put("function_id", functionId);
    call.set("payload", payload);
    call.put("timeoutMs", 20_000);
    return call;
  }

  private static ObjectNode voidCall(String functionId, JsonNode payload) {
    return call(functionId, payload).put("action", "void");
  }

  @Test
  void syncCallReachesTheJavaFunctionWithThePayloadIntact() throws Exception {
    Iii java = javaWorker("java");
    List<Received> received = new CopyOnWriteArrayList<>();
    java.registerFunction(
        "java::echo",
        (data, ctx) -> {
          received.add(new Received(data, ctx));
          return Map.of("echo", data, "runtime", "java");
        });
    awaitFunction("java::echo");
    JsonNode payload = richPayload(UUID.randomUUID().toString());

    ObjectNode withMetadata = call("java::echo", payload);
    withMetadata.set("metadata", json("{\"md\":\"from-node\",\"n\":[1]}"));
    NodeWorker node = node("call", "node", Map.of("CALLS", calls(withMetadata), "HOLD", "true"));
    JsonNode result = node.await("result");
    Worker nodeWorker = awaitWorker("node");

    assertThat(result.path("is_undefined").asBoolean()).as("result is a value\n%s", node.describe()).isFalse();
    assertThat(result.path("value").path("runtime").asText()).isEqualTo("java");
    assertJson(withoutCallerId(result.path("value").path("echo"))).as("payload back in Node").isEqualTo(payload);
    assertThat(received).hasSize(1);
    Received call = received.getFirst();
    assertJson(withoutCallerId(call.data())).as("payload as the Java handler saw it").isEqualTo(payload);
    String callerId =
        call.context().callerWorkerId() != null
            ? call.context().callerWorkerId()
            : call.data().path("_caller_worker_id").asText(null);
    assertThat(callerId).as("the calling worker's id, injected by the engine").isEqualTo(nodeWorker.id());
    assertThat(call.context().invocationId()).as("a sync call carries an invocation id").isNotNull();
    assertJson(call.context().metadata()).as("metadata, beside the payload").isEqualTo(json("{\"md\":\"from-node\",\"n\":[1]}"));
    node.closeStdin();
    assertThat(node.awaitExit(WAIT)).isZero();
  }

  @Test
  void voidCallRunsTheJavaHandlerExactlyOnceAndResolvesUndefined() throws Exception {
    Iii java = javaWorker("java");
    List<JsonNode> sunk = new CopyOnWriteArrayList<>();
    java.registerFunction(
        "java::sink",
        (data, ctx) -> {
          sunk.add(data);
          return Map.of("returned_by", "java::sink"); // a void caller must never see this
        });
    java.registerFunction("java::echo", (data, ctx) -> Map.of("echo", data));
    awaitFunction("java::sink");
    awaitFunction("java::echo");
    String marker = UUID.randomUUID().toString();

    NodeWorker node =
        node(
            "call",
            "node",
            Map.of(
                "CALLS",
                calls(
                    voidCall("java::sink", json("{\"marker\":\"" + marker + "\"}")),
                    call("java::echo", json("{\"barrier\":true}")))));
    assertThat(node.awaitExit(WAIT)).as("node exit code\n%s", node.describe()).isZero();

    List<JsonNode> results = node.events("result");
    assertThat(results).as("outcomes\n%s", node.describe()).hasSize(2);
    assertThat(results.get(0).path("is_undefined").asBoolean()).as("void trigger() resolves undefined").isTrue();
    assertThat(results.get(1).path("value").path("echo").path("barrier").asBoolean()).isTrue();
    await("java::sink called").atMost(WAIT).until(() -> !sunk.isEmpty());
    awaitNoPendingInvocations();
    assertThat(sunk).as("java::sink invocations").hasSize(1);
    assertThat(sunk.getFirst().path("marker").asText()).isEqualTo(marker);
  }

  @Test
  void javaFunctionReturningNothingResolvesUndefinedInNode() throws Exception {
    Iii java = javaWorker("java");
    java.registerFunction("java::nothing", (data, ctx) -> null);
    awaitFunction("java::nothing");

    NodeWorker node = node("call", "node", Map.of("CALLS", calls(call("java::nothing", json("{}")))));

    JsonNode result = node.await("result");
    assertThat(result.path("is_undefined").asBoolean()).as("undefined, not null\n%s", node.describe()).isTrue();
    assertThat(node.awaitExit(WAIT)).isZero();
  }

  @Test
  void javaHandlerErrorsRejectTheNodeCallWithTheirCode() throws Exception {
    Iii java = javaWorker("java");
    java.registerFunction(
        "java::refuse",
        (data, ctx) -> {
          throw new IiiException("not_allowed", "refused by java");
        });
    java.registerFunction(
        "java::crash",
        (data, ctx) -> {
          throw new IllegalStateException("crash in java");
        });
    awaitFunction("java::refuse");
    awaitFunction("java::crash");

    NodeWorker node =
        node("call", "node", Map.of("CALLS", calls(call("java::refuse", json("{}")), call("java::crash", json("{}")))));
    assertThat(node.awaitExit(WAIT)).isZero();

    List<JsonNode> errors = node.events("error");
    assertThat(errors).as("outcomes\n%s", node.describe()).hasSize(2);
    assertThat(errors.get(0).path("name").asText()).isEqualTo("InvocationError");
    assertThat(errors.get(0).path("code").asText()).isEqualTo("not_allowed");
    assertThat(errors.get(0).path("message").asText()).contains("refused by java");
    assertThat(errors.get(1).path("code").asText()).isEqualTo("invocation_failed");
    assertThat(errors.get(1).path("message").asText()).contains("crash in java");
  }

  @Test
  void unknownFunctionRejectsWithFunctionNotFound() {
    NodeWorker node =
        node("call", "node", Map.of("CALLS", calls(call("nowhere::missing", json("{\"a\":1}")))));

    JsonNode error = node.await("error");

    assertThat(error.path("code").asText()).as("error\n%s", node.describe()).isEqualTo("function_not_found");
    assertThat(error.path("name").asText()).isEqualTo("InvocationError");
    assertThat(error.path("message").asText()).contains("nowhere::missing");
    assertThat(node.awaitExit(WAIT)).isZero();
  }

  @Test
  void killingTheExecutingNodeWorkerMidCallStopsTheNodeCall() {
    NodeWorker executor = node("serve", "executor", Map.of("SLOW_MS", "90000"));
    awaitFunction("node::slow");
    ObjectNode slow = call("node::slow", json("{\"k\":\"v\"}")).put("timeoutMs", 90_000);
    NodeWorker caller = node("call", "caller", Map.of("CALLS", calls(slow)));
    executor.await("slow-started");

    executor.kill();

    JsonNode error = caller.await("error");
    assertThat(error.path("code").asText()).as("error\n%s", caller.describe()).isEqualTo("invocation_stopped");
    assertThat(caller.awaitExit(WAIT)).isZero();
  }

  @Test
  void engineFunctionsListFromNodeShowsTheNodeFunctions() {
    NodeWorker node = node("list-functions", "node", Map.of());

    // First call: queued before the socket opened, so it runs right after the registrations.
    JsonNode first = node.await("result", e -> e.path("round").asText().equals("first")).path("value").path("functions");
    assertThat(first.isArray()).as("functions\n%s", node.describe()).isTrue();
    List<String> ids = first.valueStream().map(f -> f.path("function_id").asText()).toList();
    assertThat(ids).contains("node::list-a", "node::list-b").noneMatch(id -> id.startsWith("engine::"));
    assertThat(ids).as("sorted by id").isSorted();

    // Second call: by now the worker has reported its name as well.
    JsonNode second = node.await("result", e -> e.path("round").asText().equals("second")).path("value").path("functions");
    JsonNode a =
        second.valueStream()
            .filter(f -> f.path("function_id").asText().equals("node::list-a"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("node::list-a missing from " + second));
    assertThat(a.path("description").asText()).isEqualTo("first listed function");
    assertThat(a.path("worker_name").asText()).isEqualTo(name("node"));
    assertThat(node.awaitExit(WAIT)).isZero();
  }
}
