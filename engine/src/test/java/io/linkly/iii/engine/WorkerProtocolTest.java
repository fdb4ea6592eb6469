package io.linkly.iii.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Uuids;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The worker socket protocol, driven frame by frame from raw WebSocket clients. */
class WorkerProtocolTest {

  private IiiEngine engine;

  @BeforeEach
  void start() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral());
  }

  @AfterEach
  void stop() {
    engine.close();
  }

  private RawWorker worker() throws Exception {
    return RawWorker.connect(engine.workerUrl());
  }

  private static String invoke(UUID id, String function, String data) {
    return "{\"type\":\"invokefunction\",\"invocation_id\":\"" + id + "\",\"function_id\":\"" + function
        + "\",\"data\":" + data + "}";
  }

  @Test
  void firstFrameIsWorkerRegisteredWithFreshIds() throws Exception {
    try (RawWorker a = worker(); RawWorker b = worker()) {
      assertThat(a.registered().get("type").asText()).isEqualTo("workerregistered");
      assertThat(Uuids.parseStrict(a.workerId())).isNotNull();
      assertThat(Uuids.parseStrict(a.registered().get("reattach_token").asText())).isNotNull();
      assertThat(a.workerId()).isNotEqualTo(b.workerId());
    }
  }

  @Test
  void routesACallToTheOwnerAndTheResultBack() throws Exception {
    try (RawWorker executor = worker(); RawWorker caller = worker()) {
      executor.send("{\"type\":\"registerfunction\",\"id\":\"math::double\",\"description\":\"x2\"}");
      awaitFunction("math::double");
      UUID callId = UUID.randomUUID();
      caller.send(
          "{\"type\":\"invokefunction\",\"invocation_id\":\"" + callId
              + "\",\"function_id\":\"math::double\",\"data\":{\"n\":21},\"metadata\":{\"m\":1},\"traceparent\":\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\"}");

      JsonNode call = executor.next("invokefunction");
      assertThat(call.get("function_id").asText()).isEqualTo("math::double");
      assertThat(Uuids.parseStrict(call.get("invocation_id").asText())).isNotNull();
      assertThat(call.get("data").get("n").asInt()).isEqualTo(21);
      assertThat(call.get("data").get("_caller_worker_id").asText()).isEqualTo(caller.workerId());
      assertThat(call.get("metadata").get("m").asInt()).isEqualTo(1);
      // the engine's span for the call sits between: same trace, the engine's span as the parent
      assertThat(call.get("traceparent").asText()).matches("00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01")
          .isNotEqualTo("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
      assertThat(call.has("action")).isFalse();

      executor.send(
          "{\"type\":\"invocationresult\",\"invocation_id\":\"" + call.get("invocation_id").asText()
              + "\",\"function_id\":\"math::double\",\"result\":{\"n\":42}}");
      JsonNode result = caller.next("invocationresult");
      assertThat(result.get("invocation_id").asText()).isEqualTo(callId.toString());
      assertThat(result.get("function_id").asText()).isEqualTo("math::double");
      assertThat(result.get("result").get("n").asInt()).isEqualTo(42);
      assertThat(result.has("error")).isFalse();
    }
  }

  @Test
  void nullResultIsOmittedAndErrorsAreRelayedVerbatim() throws Exception {
    try (RawWorker executor = worker(); RawWorker caller = worker()) {
      executor.send("{\"type\":\"registerfunction\",\"id\":\"x::f\"}");
      awaitFunction("x::f");
      caller.send(invoke(UUID.randomUUID(), "x::f", "{}"));
      JsonNode call = executor.next("invokefunction");
      executor.send(
          "{\"type\":\"invocationresult\",\"invocation_id\":\"" + call.get("invocation_id").asText()
              + "\",\"function_id\":\"x::f\",\"result\":null}");
      JsonNode empty = caller.next("invocationresult");
      assertThat(empty.has("result")).isFalse();
      assertThat(empty.has("error")).isFalse();

      caller.send(invoke(UUID.randomUUID(), "x::f", "{}"));
      call = executor.next("invokefunction");
      executor.send(
          "{\"type\":\"invocationresult\",\"invocation_id\":\"" + call.get("invocation_id").asText()
              + "\",\"function_id\":\"x::f\",\"error\":{\"code\":\"invocation_failed\",\"message\":\"boom\",\"stacktrace\":\"at x\"}}");
      JsonNode failed = caller.next("invocationresult");
      assertThat(failed.get("error").get("code").asText()).isEqualTo("invocation_failed");
      assertThat(failed.get("error").get("message").asText()).isEqualTo("boom");
      assertThat(failed.get("error").get("stacktrace").asText()).isEqualTo("at x");
    }
  }

  @Test
  void unknownFunctionFailsAtOnce() throws Exception {
    try (RawWorker caller = worker()) {
      UUID id = UUID.randomUUID();
      caller.send(invoke(id, "no::such", "{}"));
      JsonNode result = caller.next("invocationresult");
      assertThat(result.get("invocation_id").asText()).isEqualTo(id.toString());
      assertThat(result.get("error").get("code").asText()).isEqualTo("function_not_found");
      assertThat(result.get("error").get("message").asText()).isEqualTo("Function no::such not found");
    }
  }

  @Test
  void voidCallsGetNoReplyButTheExecutorGetsAnId() throws Exception {
    try (RawWorker executor = worker(); RawWorker caller = worker()) {
      executor.send("{\"type\":\"registerfunction\",\"id\":\"x::void\"}");
      awaitFunction("x::void");
      caller.send(
          "{\"type\":\"invokefunction\",\"function_id\":\"x::void\",\"data\":{\"v\":1},\"action\":{\"type\":\"void\"}}");
      JsonNode call = executor.next("invokefunction");
      assertThat(Uuids.parseStrict(call.get("invocation_id").asText())).isNotNull();
      executor.send(
          "{\"type\":\"invocationresult\",\"invocation_id\":\"" + call.get("invocation_id").asText()
              + "\",\"function_id\":\"x::void\",\"result\":{\"ignored\":true}}");
      // a void to an unknown function is silent too
      caller.send(
          "{\"type\":\"invokefunction\",\"function_id\":\"no::such\",\"data\":{},\"action\":{\"type\":\"void\"}}");
      assertThat(caller.drain(Duration.ofMillis(300))).isEmpty();
      assertThat(executor.drain(Duration.ZERO)).as("exactly one delivery").isEmpty();
    }
  }

  @Test
  void executorLeavingMidCallStopsTheInvocation() throws Exception {
    try (RawWorker executor = worker(); RawWorker caller = worker()) {
      executor.send("{\"type\":\"registerfunction\",\"id\":\"x::slow\"}");
      awaitFunction("x::slow");
      UUID id = UUID.randomUUID();
      caller.send(invoke(id, "x::slow", "{}"));
      executor.next("invokefunction");
      executor.abort();
      JsonNode result = caller.next("invocationresult");
      assertThat(result.get("invocation_id").asText()).isEqualTo(id.toString());
      assertThat(result.get("error").get("code").asText()).isEqualTo("invocation_stopped");
      assertThat(result.get("error").get("message").asText()).isEqualTo("Invocation stopped");
      await().untilAsserted(() -> assertThat(engine.core().function("x::slow")).isEmpty());
    }
  }

  @Test
  void lastRegistrationWinsAndTheOldOwnerCannotRemoveIt() throws Exception {
    try (RawWorker first = worker(); RawWorker second = worker(); RawWorker caller = worker()) {
      first.send("{\"type\":\"registerfunction\",\"id\":\"x::shared\"}");
      awaitFunction("x::shared");
      second.send("{\"type\":\"registerfunction\",\"id\":\"x::shared\"}");
      await().until(() -> engine.core().function("x::shared").orElseThrow().owner().id().equals(second.workerId()));
      first.send("{\"type\":\"unregisterfunction\",\"id\":\"x::shared\"}");
      first.close();
      caller.send(invoke(UUID.randomUUID(), "x::shared", "{}"));
      assertThat(second.next("invokefunction")).isNotNull();
    }
  }

  @Test
  void answersJsonAndWebSocketPings() throws Exception {
    try (RawWorker w = worker()) {
      w.send("{\"type\":\"ping\"}");
      assertThat(w.next("pong")).isNotNull();
      ByteBuffer pong = w.ping("hello".getBytes(StandardCharsets.UTF_8));
      assertThat(pong).isNotNull();
      assertThat(StandardCharsets.UTF_8.decode(pong).toString()).isEqualTo("hello");
    }
  }

  @Test
  void reattachEvictsThePreviousConnectionBeforeTheReplay() throws Exception {
    RawWorker old = worker();
    old.send("{\"type\":\"registerfunction\",\"id\":\"x::old\"}");
    awaitFunction("x::old");
    try (RawWorker fresh = worker()) {
      fresh.send("{\"type\":\"reattach\",\"previous_worker_id\":\"" + old.workerId()
          + "\",\"reattach_token\":\"" + old.registered().get("reattach_token").asText() + "\"}");
      fresh.send("{\"type\":\"registerfunction\",\"id\":\"x::old\"}");
      await().until(() -> engine.core().worker(old.workerId()).isEmpty());
      assertThat(engine.core().function("x::old").orElseThrow().owner().id()).isEqualTo(fresh.workerId());
      await().until(() -> old.closed().isDone());
    }
  }

  @Test
  void reattachWithAWrongTokenIsIgnored() throws Exception {
    try (RawWorker old = worker(); RawWorker fresh = worker()) {
      fresh.send("{\"type\":\"reattach\",\"previous_worker_id\":\"" + old.workerId()
          + "\",\"reattach_token\":\"" + UUID.randomUUID() + "\"}");
      fresh.send("{\"type\":\"ping\"}");
      fresh.next("pong");
      assertThat(engine.core().worker(old.workerId())).isPresent();
      assertThat(old.isOpen()).isTrue();
    }
  }

  @Test
  void otherPathsAre404AndOtelAcceptsTelemetry() throws Exception {
    var client = java.net.http.HttpClient.newHttpClient();
    var response =
        client.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + engine.workerPort() + "/nope")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(404);

    int workersBefore = engine.core().workers().size();
    CompletableFuture<ByteBuffer> pong = new CompletableFuture<>();
    CompletableFuture<Integer> closed = new CompletableFuture<>();
    var otel =
        client.newWebSocketBuilder()
            .buildAsync(java.net.URI.create(engine.workerUrl() + "/otel"), new java.net.http.WebSocket.Listener() {
              @Override
              public java.util.concurrent.CompletionStage<?> onPong(java.net.http.WebSocket ws, ByteBuffer message) {
                ByteBuffer copy = ByteBuffer.allocate(message.remaining()).put(message).flip();
                pong.complete(copy);
                return java.net.http.WebSocket.Listener.super.onPong(ws, message);
              }

              @Override
              public java.util.concurrent.CompletionStage<?> onClose(java.net.http.WebSocket ws, int statusCode, String reason) {
                closed.complete(statusCode);
                return null;
              }

              @Override
              public void onError(java.net.http.WebSocket ws, Throwable error) {
                closed.complete(-1);
              }
            })
            .get();
    try {
      otel.sendBinary(ByteBuffer.wrap("OTLP{}".getBytes(StandardCharsets.UTF_8)), true).join();
      otel.sendBinary(ByteBuffer.wrap("LOGS{}".getBytes(StandardCharsets.UTF_8)), true).join();
      // frames are handled in order: the pong to a later ping shows the telemetry was taken in
      otel.sendPing(ByteBuffer.wrap("after-telemetry".getBytes(StandardCharsets.UTF_8))).join();
      assertThat(StandardCharsets.UTF_8.decode(pong.get(5, TimeUnit.SECONDS)).toString()).isEqualTo("after-telemetry");
      assertThat(closed).as("the telemetry socket stays open").isNotDone();
      assertThat(engine.core().workers()).as("a telemetry socket registers no worker").hasSize(workersBefore);
    } finally {
      otel.abort();
    }
  }

  private void awaitFunction(String id) {
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.core().function(id).isPresent());
  }
}
