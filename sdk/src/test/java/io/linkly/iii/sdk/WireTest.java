package io.linkly.iii.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.ErrorBody;
import io.linkly.iii.protocol.InvocationResult;
import io.linkly.iii.protocol.InvokeFunction;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.RegisterTrigger;
import io.linkly.iii.protocol.TriggerAction;
import io.linkly.iii.protocol.TriggerRegistrationResult;
import io.linkly.iii.protocol.UnregisterTrigger;
import io.linkly.iii.protocol.Uuids;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The exact frames the SDK exchanges, checked against a scripted peer (the engine-backed tests
 * check behaviour; these pin the wire details the engine cannot show).
 */
class WireTest {

  private static final ReconnectPolicy FAST =
      ReconnectPolicy.DEFAULT
          .withInitialDelay(Duration.ofMillis(10))
          .withMaxDelay(Duration.ofMillis(100));

  private FakeEngine engine;
  private Iii iii;

  @AfterEach
  void tearDown() {
    if (iii != null) {
      iii.shutdown();
    }
    if (engine != null) {
      engine.close();
    }
  }

  @Test
  void firstConnectionSendsTypesThenFunctionsThenBindingsThenWorkerMetadata() throws Exception {
    engine = new FakeEngine(true);
    iii =
        Iii.registerWorker(
            engine.url(),
            WorkerOptions.builder()
                .workerName("wire-worker")
                .description("wire test")
                .header("x-test-token", "secret")
                .build());
    iii.registerTriggerType("wire-tt", "a wire trigger type", new NoopProvider());
    iii.registerFunction(
        FunctionDefinition.builder("wire::fn")
            .description("a function")
            .metadata(Map.of("m", 1))
            .build(),
        (data, ctx) -> null);
    TriggerRef binding =
        iii.registerTrigger(TriggerBinding.of("wire-tt", "wire::fn", Map.of("k", "v")));
    engine.resume();

    FakeEngine.Connection c = engine.accept();
    assertThat(c.requestHeaders.get("x-test-token")).isEqualTo("secret");
    assertThat(c.requestHeaders.get("sec-websocket-extensions")).isNull();

    JsonNode type = c.next();
    assertThat(type.path("type").asText()).isEqualTo("registertriggertype");
    assertThat(type.path("id").asText()).isEqualTo("wire-tt");
    assertThat(type.path("description").asText()).isEqualTo("a wire trigger type");

    JsonNode fn = c.next();
    assertThat(fn.path("type").asText()).isEqualTo("registerfunction");
    assertThat(fn.path("id").asText()).isEqualTo("wire::fn");
    assertThat(fn.path("description").asText()).isEqualTo("a function");
    assertThat(fn.path("metadata").path("m").asInt()).isEqualTo(1);

    JsonNode trig = c.next();
    assertThat(trig.path("type").asText()).isEqualTo("registertrigger");
    assertThat(trig.path("id").asText()).isEqualTo(binding.id());
    assertThat(Uuids.parseStrict(binding.id())).isNotNull();
    assertThat(trig.path("trigger_type").asText()).isEqualTo("wire-tt");
    assertThat(trig.path("function_id").asText()).isEqualTo("wire::fn");
    assertThat(trig.path("config").path("k").asText()).isEqualTo("v");

    JsonNode meta = c.next();
    assertThat(meta.path("type").asText()).isEqualTo("invokefunction");
    assertThat(meta.path("function_id").asText()).isEqualTo("engine::workers::register");
    assertThat(meta.has("invocation_id")).isFalse();
    assertThat(meta.path("action").path("type").asText()).isEqualTo("void");
    JsonNode data = meta.path("data");
    assertThat(data.path("runtime").asText()).isEqualTo("java");
    assertThat(data.path("version").asText()).isEqualTo("0.1.0");
    assertThat(data.path("name").asText()).isEqualTo("wire-worker");
    assertThat(data.path("description").asText()).isEqualTo("wire test");
    assertThat(data.path("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
    assertThat(data.path("os").asText()).contains(System.getProperty("os.name"));
    assertThat(data.has("isolation")).isTrue();
    assertThat(data.get("isolation").isNull()).isTrue();
    assertThat(data.path("telemetry").path("framework").asText()).isEqualTo("iii-java");

    iii.ready().get(10, TimeUnit.SECONDS);
    assertThat(iii.workerId()).isEqualTo(c.workerId);
  }

  @Test
  void reconnectSendsReattachFirstAndReplaysWithTheSameBindingId() throws Exception {
    engine = new FakeEngine();
    iii = Iii.registerWorker(engine.url(), WorkerOptions.builder().reconnect(FAST).build());
    iii.registerFunction("wire::again", (data, ctx) -> null);
    TriggerRef binding = iii.registerTrigger(TriggerBinding.of("cron", "wire::again", null));
    FakeEngine.Connection first = engine.accept();
    JsonNode firstBinding = first.next("registertrigger");
    assertThat(firstBinding.path("id").asText()).isEqualTo(binding.id());
    assertThat(firstBinding.has("config")).isTrue();
    first.next("invokefunction");
    await().until(() -> first.workerId.equals(iii.workerId()));

    first.drop();
    FakeEngine.Connection second = engine.accept();

    JsonNode reattach = second.next();
    assertThat(reattach.path("type").asText()).isEqualTo("reattach");
    assertThat(reattach.path("previous_worker_id").asText()).isEqualTo(first.workerId);
    assertThat(reattach.path("reattach_token").asText()).isEqualTo(first.reattachToken);
    assertThat(second.next().path("id").asText()).isEqualTo("wire::again");
    assertThat(second.next().path("id").asText()).isEqualTo(binding.id());
    assertThat(second.next().path("function_id").asText()).isEqualTo("engine::workers::register");
    await().until(() -> second.workerId.equals(iii.workerId()));
  }

  @Test
  void callsMadeWhileDisconnectedAreSentAfterTheReplayExceptExpiredOnes() throws Exception {
    engine = new FakeEngine(true);
    iii = Iii.registerWorker(engine.url());
    iii.registerFunction("wire::mine", (data, ctx) -> null);

    assertThat(iii.trigger(TriggerRequest.of("wire::void", null).withAction(TriggerAction.Void())))
        .isNull();
    CompletableFuture<JsonNode> expired =
        iii.triggerAsync(TriggerRequest.of("wire::expired", 1).withTimeout(Duration.ofMillis(20)));
    assertThatThrownBy(() -> expired.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(IiiException.class)
        .extracting(e -> ((IiiException) e).code())
        .isEqualTo("TIMEOUT");
    CompletableFuture<JsonNode> waiting =
        iii.triggerAsync(
            TriggerRequest.of("wire::sync", Map.of("q", 1)).withMetadata(Map.of("md", true)));
    engine.resume();

    FakeEngine.Connection c = engine.accept();
    assertThat(c.next().path("type").asText()).isEqualTo("registerfunction");
    JsonNode voidCall = c.next();
    assertThat(voidCall.path("function_id").asText()).isEqualTo("wire::void");
    assertThat(voidCall.has("data")).isTrue();
    assertThat(voidCall.get("data").isNull()).isTrue();
    assertThat(voidCall.has("invocation_id")).isFalse();
    JsonNode syncCall = c.next();
    assertThat(syncCall.path("function_id").asText()).isEqualTo("wire::sync");
    assertThat(syncCall.path("metadata").path("md").asBoolean()).isTrue();
    assertThat(syncCall.has("action")).isFalse();
    assertThat(c.next().path("function_id").asText()).isEqualTo("engine::workers::register");

    UUID id = UUID.fromString(syncCall.path("invocation_id").asText());
    c.send(InvocationResult.success(id, "wire::sync", Json.toTree(Map.of("ok", 1))));
    assertThat(waiting.get(10, TimeUnit.SECONDS).path("ok").asInt()).isEqualTo(1);
  }

  @Test
  void enqueueCallsNameTheQueueAndWaitForTheReceipt() throws Exception {
    engine = new FakeEngine();
    iii = Iii.registerWorker(engine.url());
    FakeEngine.Connection c = engine.accept();
    c.next("invokefunction");

    CompletableFuture<JsonNode> receipt =
        iii.triggerAsync(
            TriggerRequest.of("wire::job", Map.of("n", 1)).withAction(TriggerAction.Enqueue("jobs")));
    JsonNode call = c.next("invokefunction");
    assertThat(call.path("function_id").asText()).isEqualTo("wire::job");
    assertThat(call.path("action").path("type").asText()).isEqualTo("enqueue");
    assertThat(call.path("action").path("queue").asText()).isEqualTo("jobs");
    assertThat(receipt).isNotDone();

    UUID id = UUID.fromString(call.path("invocation_id").asText());
    c.send(InvocationResult.success(id, "wire::job", Json.toTree(Map.of("messageReceiptId", "r-1"))));
    assertThat(receipt.get(10, TimeUnit.SECONDS).path("messageReceiptId").asText()).isEqualTo("r-1");
  }

  @Test
  void unregisteringWhileDisconnectedIsReflectedInTheReplayAndQueuesTheBindingRemoval()
      throws Exception {
    engine = new FakeEngine(true);
    iii = Iii.registerWorker(engine.url(), WorkerOptions.builder().reconnect(FAST).build());
    TriggerTypeRef type = iii.registerTriggerType("wire-gone", "withdrawn", new NoopProvider());
    iii.registerTriggerType("wire-kept", "kept", new NoopProvider());
    FunctionRef fn = iii.registerFunction("wire::gone", (data, ctx) -> null);
    TriggerRef binding = iii.registerTrigger(TriggerBinding.of("cron", "wire::gone", null));
    type.unregister();
    fn.unregister();
    binding.unregister();
    engine.resume();

    FakeEngine.Connection c = engine.accept();
    JsonNode kept = c.next();
    assertThat(kept.path("type").asText()).isEqualTo("registertriggertype");
    assertThat(kept.path("id").asText()).isEqualTo("wire-kept");
    JsonNode removal = c.next();
    assertThat(removal.path("type").asText()).isEqualTo("unregistertrigger");
    assertThat(removal.path("id").asText()).isEqualTo(binding.id());
    assertThat(c.next().path("function_id").asText()).isEqualTo("engine::workers::register");

    // a binding for the withdrawn type is refused like any type this worker does not provide
    c.send(new RegisterTrigger("t-9", "wire-gone", "x::y", Json.object(), null));
    JsonNode refused = c.next("triggerregistrationresult");
    assertThat(refused.path("error").path("code").asText()).isEqualTo("trigger_type_not_found");

    // while connected, withdrawing a type is announced at once
    iii.registerTriggerType("wire-late", "late", new NoopProvider()).unregister();
    assertThat(c.next().path("id").asText()).isEqualTo("wire-late");
    JsonNode withdrawn = c.next();
    assertThat(withdrawn.path("type").asText()).isEqualTo("unregistertriggertype");
    assertThat(withdrawn.path("id").asText()).isEqualTo("wire-late");
  }

  @Test
  void theDisconnectedQueueIsBoundedAndLoggingSurvivesAFullQueue() {
    engine = new FakeEngine(true);
    iii = Iii.registerWorker(engine.url());
    TriggerRequest request = TriggerRequest.of("wire::flood", 1).withAction(TriggerAction.Void());
    for (int i = 0; i < 10_000; i++) {
      iii.trigger(request);
    }
    assertThatThrownBy(() -> iii.trigger(request)).isInstanceOf(IiiException.class);
    assertThat(iii.triggerAsync(request)).isCompletedExceptionally();
    iii.logger().info("still fine", Map.of("k", 1));
    iii.logger().error("still fine");
  }

  @Test
  void servesInboundCallsAndAnswersLikeTheNodeSdk() throws Exception {
    engine = new FakeEngine();
    CountDownLatch noReplyCall = new CountDownLatch(1);
    iii = Iii.registerWorker(engine.url());
    iii.registerFunction(
        "wire::echo",
        (data, ctx) ->
            Map.of(
                "got", data,
                "caller", String.valueOf(ctx.callerWorkerId()),
                "meta", ctx.metadata() == null ? "none" : ctx.metadata()));
    iii.registerFunction(
        "wire::silent",
        (data, ctx) -> {
          noReplyCall.countDown();
          return Map.of("unused", true);
        });
    iii.registerFunction(
        "wire::throws",
        (data, ctx) -> {
          throw new IllegalStateException("boom");
        });
    FakeEngine.Connection c = engine.accept();
    c.next("invokefunction");

    UUID id = UUID.randomUUID();
    c.send(
        new InvokeFunction(
            id,
            "wire::echo",
            Json.mapper().readTree("{\"x\":1,\"_caller_worker_id\":\"w-1\"}"),
            null,
            Json.toTree(Map.of("k", 2)),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "k=v"));
    JsonNode echo = c.next("invocationresult");
    assertThat(echo.path("invocation_id").asText()).isEqualTo(id.toString());
    assertThat(echo.path("function_id").asText()).isEqualTo("wire::echo");
    assertThat(echo.path("result").path("got").path("x").asInt()).isEqualTo(1);
    assertThat(echo.path("result").path("caller").asText()).isEqualTo("w-1");
    assertThat(echo.path("result").path("meta").path("k").asInt()).isEqualTo(2);
    assertThat(echo.path("traceparent").asText()).startsWith("00-0af7");
    assertThat(echo.path("baggage").asText()).isEqualTo("k=v");

    UUID failing = UUID.randomUUID();
    c.send(new InvokeFunction(failing, "wire::throws", Json.object(), null, null, null, null));
    JsonNode thrown = c.next("invocationresult");
    assertThat(thrown.path("error").path("code").asText()).isEqualTo("invocation_failed");
    assertThat(thrown.path("error").path("message").asText()).isEqualTo("boom");
    assertThat(thrown.path("error").path("stacktrace").asText())
        .contains("java.lang.IllegalStateException: boom");
    assertThat(thrown.has("result")).isFalse();

    UUID unknown = UUID.randomUUID();
    c.send(new InvokeFunction(unknown, "wire::nobody", Json.object(), null, null, null, null));
    JsonNode notFound = c.next("invocationresult");
    assertThat(notFound.path("invocation_id").asText()).isEqualTo(unknown.toString());
    assertThat(notFound.path("error").path("code").asText()).isEqualTo("function_not_found");
    assertThat(notFound.path("error").path("message").asText()).isEqualTo("Function not found");

    // garbage is dropped and the connection keeps working
    c.sendText("{not json");
    c.sendText("{\"type\":\"nosuchthing\"}");
    c.sendText("{\"type\":\"ping\"}");
    assertThat(c.next().path("type").asText()).isEqualTo("pong");

    // a call without an invocation id runs but is not answered
    c.sendText("{\"type\":\"invokefunction\",\"function_id\":\"wire::silent\",\"data\":{}}");
    assertThat(noReplyCall.await(10, TimeUnit.SECONDS)).isTrue();
    UUID after = UUID.randomUUID();
    c.send(new InvokeFunction(after, "wire::echo", Json.object(), null, null, null, null));
    JsonNode next = c.next("invocationresult");
    while (!next.path("invocation_id").asText().equals(after.toString())) {
      assertThat(next.path("function_id").asText()).isNotEqualTo("wire::silent");
      next = c.next("invocationresult");
    }
    JsonNode straggler = c.poll(200);
    assertThat(straggler).isNull();
  }

  @Test
  void providesTriggerTypesAndReportsRejectedBindings() throws Exception {
    engine = new FakeEngine();
    List<TriggerConfig> registered = new CopyOnWriteArrayList<>();
    List<TriggerConfig> unregistered = new CopyOnWriteArrayList<>();
    List<TriggerRegistrationResult> rejected = new CopyOnWriteArrayList<>();
    iii =
        Iii.registerWorker(
            engine.url(), WorkerOptions.builder().onTriggerRegistrationError(rejected::add).build());
    iii.registerTriggerType(
        "wire-tt",
        "provided here",
        new TriggerTypeHandler() {
          @Override
          public void registerTrigger(TriggerConfig config) {
            if (config.config() != null && config.config().path("reject").asBoolean()) {
              throw new IllegalArgumentException("rejected by the provider");
            }
            registered.add(config);
          }

          @Override
          public void unregisterTrigger(TriggerConfig config) {
            unregistered.add(config);
          }
        });
    FakeEngine.Connection c = engine.accept();
    c.next("invokefunction");

    c.send(
        new RegisterTrigger(
            "t-1", "wire-tt", "other::fn", Json.toTree(Map.of("tag", 1)), Json.toTree(Map.of("mm", 2))));
    JsonNode ok = c.next("triggerregistrationresult");
    assertThat(ok.path("id").asText()).isEqualTo("t-1");
    assertThat(ok.path("trigger_type").asText()).isEqualTo("wire-tt");
    assertThat(ok.path("function_id").asText()).isEqualTo("other::fn");
    assertThat(ok.has("error")).isFalse();
    assertThat(registered).singleElement().satisfies(t -> {
      assertThat(t.id()).isEqualTo("t-1");
      assertThat(t.functionId()).isEqualTo("other::fn");
      assertThat(t.config().path("tag").asInt()).isEqualTo(1);
      assertThat(t.metadata().path("mm").asInt()).isEqualTo(2);
    });

    c.send(new RegisterTrigger("t-2", "wire-tt", "other::fn", Json.toTree(Map.of("reject", true)), null));
    JsonNode failed = c.next("triggerregistrationresult");
    assertThat(failed.path("error").path("code").asText()).isEqualTo("trigger_registration_failed");
    assertThat(failed.path("error").path("message").asText()).isEqualTo("rejected by the provider");

    c.send(new RegisterTrigger("t-3", "not-mine", "other::fn", Json.object(), null));
    JsonNode missing = c.next("triggerregistrationresult");
    assertThat(missing.path("error").path("code").asText()).isEqualTo("trigger_type_not_found");
    assertThat(missing.path("error").path("message").asText()).isEqualTo("Trigger type not found");

    c.send(new UnregisterTrigger("t-1", "wire-tt"));
    c.send(new UnregisterTrigger("t-unknown", "wire-tt"));
    await().until(() -> unregistered.size() == 2);
    // provider calls are ordered per binding id only; two ids may run in either order
    assertThat(unregistered).containsExactlyInAnyOrder(registered.get(0), new TriggerConfig("t-unknown", "", null, null));

    c.send(
        new TriggerRegistrationResult(
            "b-1", "http", "wire::fn", new ErrorBody("trigger_registration_failed", "Route conflict")));
    await().until(() -> rejected.size() == 1);
    assertThat(rejected.get(0).error().message()).isEqualTo("Route conflict");
  }

  @Test
  void shutdownFailsPendingCallsClosesTheSocketAndStopsItsThreads() throws Exception {
    engine = new FakeEngine();
    iii = Iii.registerWorker(engine.url(), WorkerOptions.builder().reconnect(FAST).build());
    FakeEngine.Connection c = engine.accept();
    iii.ready().get(10, TimeUnit.SECONDS);
    CompletableFuture<JsonNode> unanswered = iii.triggerAsync(TriggerRequest.of("wire::never", 1));
    c.next("invokefunction");
    c.next("invokefunction");

    iii.shutdown();

    assertThatThrownBy(() -> unanswered.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(IiiException.class)
        .hasMessage("iii is shutting down")
        .extracting(e -> ((IiiException) e).code())
        .isEqualTo("UNKNOWN");
    assertThat(c.channel.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
    assertThatThrownBy(() -> iii.trigger(TriggerRequest.of("wire::never", 1)))
        .isInstanceOf(IiiException.class);
    await().until(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().startsWith("iii-sdk-io") && t.isAlive()));
    iii.logger().info("after shutdown does not throw", Map.of("a", 1));
  }

  @Test
  void aBadUrlIsRejectedAtOnce() {
    assertThatThrownBy(() -> Iii.registerWorker("http://127.0.0.1:1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ws://");
    assertThatThrownBy(() -> Iii.registerWorker("not a url"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** A provider that accepts everything. */
  private static final class NoopProvider implements TriggerTypeHandler {
    @Override
    public void registerTrigger(TriggerConfig config) {}

    @Override
    public void unregisterTrigger(TriggerConfig config) {}
  }
}
