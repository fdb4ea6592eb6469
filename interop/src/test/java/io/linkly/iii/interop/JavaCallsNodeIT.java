package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.TriggerAction;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerRequest;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A Java SDK worker calls functions served by an npm iii-sdk@0.22.1 worker. */
class JavaCallsNodeIT extends InteropTest {

  @Test
  void syncCallReachesTheNodeFunctionAndReturnsItsResult() throws Exception {
    NodeWorker node = node("serve", "node", Map.of());
    awaitFunction("node::echo");
    Iii java = javaWorker("java");
    JsonNode payload = richPayload(UUID.randomUUID().toString());

    JsonNode result =
        java.trigger(TriggerRequest.of("node::echo", payload).withMetadata(Map.of("md", "from-java")));

    assertThat(result).as("result of node::echo").isNotNull();
    assertThat(result.path("runtime").asText()).isEqualTo("node");
    assertJson(withoutCallerId(result.get("echo"))).isEqualTo(payload);
    assertJson(result.get("metadata")).isEqualTo(json("{\"md\":\"from-java\"}"));
    JsonNode seen = node.await("called", e -> e.path("function_id").asText().equals("node::echo")).get("data");
    assertJson(withoutCallerId(seen)).as("payload as the Node handler saw it").isEqualTo(payload);
    assertThat(seen.path("_caller_worker_id").asText()).as("caller id injected by the engine").isEqualTo(java.workerId());
  }

  @Test
  void nodeHandlerErrorReachesTheJavaCaller() throws Exception {
    node("serve", "node", Map.of());
    awaitFunction("node::fail");
    Iii java = javaWorker("java");

    Throwable thrown = catchThrowable(() -> java.trigger(TriggerRequest.of("node::fail", Map.of("x", 1))));

    assertThat(thrown).isInstanceOf(IiiException.class);
    IiiException error = (IiiException) thrown;
    assertThat(error.code()).isEqualTo("invocation_failed");
    assertThat(error.getMessage()).contains("boom from node");
    assertThat(error.stacktrace()).as("the JS stack travels with the error").contains("boom from node");
  }

  @Test
  void nodeFunctionReturningUndefinedGivesTheJavaCallerNoValue() throws Exception {
    NodeWorker node = node("serve", "node", Map.of());
    awaitFunction("node::nothing");
    Iii java = javaWorker("java");

    JsonNode result = java.trigger(TriggerRequest.of("node::nothing", Map.of("q", 1)));

    assertThat(result == null || result.isNull()).as("no value, got %s", result).isTrue();
    node.await("called", e -> e.path("function_id").asText().equals("node::nothing"));
  }

  @Test
  void voidCallRunsTheNodeHandlerExactlyOnceAndReturnsNothing() throws Exception {
    NodeWorker node = node("serve", "node", Map.of());
    awaitFunction("node::sink");
    Iii java = javaWorker("java");
    String marker = UUID.randomUUID().toString();

    JsonNode result =
        java.trigger(TriggerRequest.of("node::sink", Map.of("marker", marker)).withAction(TriggerAction.Void()));

    assertThat(result == null || result.isNull()).as("a void call returns nothing, got %s", result).isTrue();
    node.await("called", e -> marker.equals(e.path("data").path("marker").asText()));
    // A sync call afterwards, then an idle engine and a Node process that has exited: any
    // duplicate delivery would have been printed by then.
    assertThat(java.trigger(TriggerRequest.of("node::echo", Map.of("barrier", true))).path("runtime").asText())
        .isEqualTo("node");
    awaitNoPendingInvocations();
    node.closeStdin();
    assertThat(node.awaitExit(WAIT)).as("node exit code").isZero();
    assertThat(node.events("called").stream().filter(e -> e.path("function_id").asText().equals("node::sink")))
        .as("node::sink invocations\n%s", node.describe())
        .singleElement()
        .satisfies(e -> assertJson(withoutCallerId(e.get("data"))).isEqualTo(json("{\"marker\":\"" + marker + "\"}")));
  }

  @Test
  void killingTheExecutingNodeWorkerMidCallStopsTheJavaCall() throws Exception {
    NodeWorker node = node("serve", "node", Map.of("SLOW_MS", "90000"));
    awaitFunction("node::slow");
    Iii java = javaWorker("java");

    CompletableFuture<JsonNode> call =
        java.triggerAsync(TriggerRequest.of("node::slow", Map.of("k", "v")).withTimeout(Duration.ofSeconds(90)));
    node.await("slow-started");
    node.kill();

    Throwable failure = catchThrowable(() -> call.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertThat(failure).as("the pending call after the executor died").isInstanceOf(ExecutionException.class);
    assertThat(failure.getCause()).isInstanceOf(IiiException.class);
    assertThat(((IiiException) failure.getCause()).code()).isEqualTo("invocation_stopped");
  }
}
