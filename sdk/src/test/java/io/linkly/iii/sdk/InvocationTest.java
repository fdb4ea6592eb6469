package io.linkly.iii.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.protocol.TriggerAction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One Java worker's functions called by another Java worker through a real engine, once over
 * sockets and once with both workers in the engine's JVM.
 */
@ParameterizedClass
@EnumSource(TestSupport.Link.class)
class InvocationTest {

  record Greeting(String name, int times) {}

  record Sum(int sum) {}

  private static IiiEngine engine;
  private static Iii worker;
  private static Iii caller;

  private static AtomicInteger voidRuns;
  private static AtomicInteger syncRunsOfVoidFn;
  private static CountDownLatch voidReleased;
  private static CountDownLatch voidFinished;
  private static CountDownLatch slowReleased;
  private static AtomicReference<InvocationContext> lastContext;

  @Parameter TestSupport.Link link;

  @BeforeParameterizedClassInvocation
  static void start(TestSupport.Link link) throws Exception {
    voidRuns = new AtomicInteger();
    syncRunsOfVoidFn = new AtomicInteger();
    voidReleased = new CountDownLatch(1);
    voidFinished = new CountDownLatch(1);
    slowReleased = new CountDownLatch(1);
    lastContext = new AtomicReference<>();
    engine = TestSupport.startEngine(EngineConfig.ephemeral());
    worker = TestSupport.worker(engine, "invocation-worker", link);
    caller = TestSupport.worker(engine, "invocation-caller", link);

    worker.registerFunction(
        "calc::add",
        (data, ctx) -> Map.of("sum", data.path("a").asInt() + data.path("b").asInt()));
    worker.registerFunction(
        "calc::greet",
        Greeting.class,
        (g, ctx) -> "hello " + g.name().repeat(Math.max(1, g.times())));
    worker.registerFunction("calc::nothing", (data, ctx) -> null);
    worker.registerFunction(
        "calc::context",
        (data, ctx) -> {
          lastContext.set(ctx);
          return Map.of("seen", true);
        });
    worker.registerFunction(
        "calc::throws",
        (data, ctx) -> {
          throw new IllegalStateException("boom");
        });
    worker.registerFunction(
        "calc::refuses",
        (data, ctx) -> {
          throw new IiiException("NOT_ALLOWED", "you may not");
        });
    worker.registerFunction(
        "calc::slow",
        (data, ctx) -> {
          slowReleased.await(30, TimeUnit.SECONDS);
          return "late";
        });
    worker.registerFunction(
        "calc::counted",
        (data, ctx) -> {
          if (data.path("mode").asText().equals("void")) {
            voidRuns.incrementAndGet();
            voidReleased.await(30, TimeUnit.SECONDS);
            voidFinished.countDown();
            return "done";
          }
          syncRunsOfVoidFn.incrementAndGet();
          return "sync";
        });
    worker.registerFunction(
        "calc::nested",
        (data, ctx) ->
            ctx.iii()
                .trigger(TriggerRequest.of("calc::add", Map.of("a", data.path("n").asInt(), "b", 100))));
    TestSupport.sync(worker);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    slowReleased.countDown();
    voidReleased.countDown();
    if (caller != null) {
      caller.shutdown();
    }
    if (worker != null) {
      worker.shutdown();
    }
    if (engine != null) {
      engine.close();
    }
  }

  @Test
  void syncCallReturnsTheHandlersResult() {
    JsonNode result = caller.trigger(TriggerRequest.of("calc::add", Map.of("a", 1, "b", 2)));
    assertThat(result.path("sum").asInt()).isEqualTo(3);

    Sum typed = caller.trigger(TriggerRequest.of("calc::add", Map.of("a", 20, "b", 22)), Sum.class);
    assertThat(typed).isEqualTo(new Sum(42));
  }

  @Test
  void typedHandlersGetTheirInputConverted() {
    JsonNode result = caller.trigger(TriggerRequest.of("calc::greet", new Greeting("Ada", 2)));
    assertThat(result.asText()).isEqualTo("hello AdaAda");

    IiiException e =
        catchThrowableOfType(
            IiiException.class,
            () -> caller.trigger(TriggerRequest.of("calc::greet", Map.of("times", "many"))));
    assertThat(e.code()).isEqualTo("deserialization_error");
  }

  @Test
  void aNullResultIsNull() {
    assertThat(caller.trigger(TriggerRequest.of("calc::nothing", Map.of()))).isNull();
    assertThat(caller.trigger(TriggerRequest.of("calc::nothing", null), Sum.class)).isNull();
  }

  @Test
  void handlersSeeMetadataAndTheCallingWorker() {
    caller.trigger(TriggerRequest.of("calc::context", Map.of("x", 1)).withMetadata(Map.of("m", 7)));
    InvocationContext ctx = lastContext.get();
    assertThat(ctx.functionId()).isEqualTo("calc::context");
    assertThat(ctx.invocationId()).isNotNull();
    assertThat(ctx.metadata().path("m").asInt()).isEqualTo(7);
    assertThat(ctx.callerWorkerId()).isEqualTo(caller.workerId());
    assertThat(ctx.iii()).isSameAs(worker);
  }

  @Test
  void aThrowingHandlerFailsTheCallWithInvocationFailed() {
    IiiException e =
        catchThrowableOfType(
            IiiException.class, () -> caller.trigger(TriggerRequest.of("calc::throws", Map.of())));
    assertThat(e.code()).isEqualTo("invocation_failed");
    assertThat(e.getMessage()).isEqualTo("boom");
    assertThat(e.stacktrace()).contains("java.lang.IllegalStateException: boom");
    assertThat(e).hasToString("invocation_failed: boom");
  }

  @Test
  void anIiiExceptionFromAHandlerKeepsItsCode() {
    IiiException e =
        catchThrowableOfType(
            IiiException.class, () -> caller.trigger(TriggerRequest.of("calc::refuses", null)));
    assertThat(e.code()).isEqualTo("NOT_ALLOWED");
    assertThat(e.getMessage()).isEqualTo("you may not");
  }

  @Test
  void voidReturnsAtOnceAndRunsTheHandlerExactlyOnce() throws Exception {
    // the handler cannot finish before the test lets it, so a null here means "did not wait"
    JsonNode result =
        caller.trigger(
            TriggerRequest.of("calc::counted", Map.of("mode", "void"))
                .withAction(TriggerAction.Void()));
    assertThat(result).isNull();
    voidReleased.countDown();
    assertThat(voidFinished.await(10, TimeUnit.SECONDS)).isTrue();

    // a later call on the same path: any duplicate delivery of the void call would precede it
    assertThat(caller.trigger(TriggerRequest.of("calc::counted", Map.of("mode", "sync"))).asText())
        .isEqualTo("sync");
    assertThat(voidRuns).hasValue(1);
  }

  @Test
  void anUnknownFunctionFailsWithFunctionNotFound() {
    IiiException e =
        catchThrowableOfType(
            IiiException.class, () -> caller.trigger(TriggerRequest.of("calc::missing", Map.of())));
    assertThat(e.code()).isEqualTo("function_not_found");
    assertThat(e.functionId()).isEqualTo("calc::missing");
  }

  @Test
  void aCallThatTakesTooLongTimesOut() {
    IiiException e =
        catchThrowableOfType(
            IiiException.class,
            () ->
                caller.trigger(
                    TriggerRequest.of("calc::slow", Map.of()).withTimeout(Duration.ofMillis(200))));
    assertThat(e.code()).isEqualTo("TIMEOUT");

    CompletableFuture<JsonNode> async =
        caller.triggerAsync(
            TriggerRequest.of("calc::slow", Map.of()).withTimeout(Duration.ofMillis(200)));
    assertThatThrownBy(() -> async.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(IiiException.class)
        .extracting(c -> ((IiiException) c).code())
        .isEqualTo("TIMEOUT");
  }

  @Test
  void enqueueWithoutAQueueWorkerFailsWithEnqueueError() {
    IiiException e =
        catchThrowableOfType(
            IiiException.class,
            () ->
                caller.trigger(
                    TriggerRequest.of("calc::add", Map.of("a", 1, "b", 1))
                        .withAction(TriggerAction.Enqueue("jobs"))));
    assertThat(e.code()).isEqualTo("enqueue_error");
  }

  @Test
  void anUnregisteredFunctionIsNoLongerCallable() {
    FunctionRef ref = worker.registerFunction("calc::temporary", (data, ctx) -> "here");
    TestSupport.sync(worker);
    assertThat(caller.trigger(TriggerRequest.of("calc::temporary", null)).asText()).isEqualTo("here");

    ref.unregister();
    TestSupport.sync(worker);

    IiiException e =
        catchThrowableOfType(
            IiiException.class, () -> caller.trigger(TriggerRequest.of("calc::temporary", null)));
    assertThat(e.code()).isEqualTo("function_not_found");
  }

  @Test
  void theEngineListsTheWorkerWithTheMetadataItReported() {
    JsonNode list =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> caller.trigger(TriggerRequest.of("engine::workers::list", Map.of())),
                l -> findWorker(l, "invocation-worker") != null);
    JsonNode me = findWorker(list, "invocation-worker");
    assertThat(me.path("runtime").asText()).isEqualTo("java");
    assertThat(me.path("version").asText()).isEqualTo("0.1.0");
    assertThat(me.path("id").asText()).isEqualTo(worker.workerId());
  }

  private static JsonNode findWorker(JsonNode list, String name) {
    for (JsonNode w : list.path("workers")) {
      if (w.path("name").asText().equals(name)) {
        return w;
      }
    }
    return null;
  }

  @Test
  void handlersCanCallOtherFunctions() {
    JsonNode result = caller.trigger(TriggerRequest.of("calc::nested", Map.of("n", 5)));
    assertThat(result.path("sum").asInt()).isEqualTo(105);
  }

  @Test
  void manyConcurrentCallsEachGetTheirOwnResult() throws Exception {
    List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      calls.add(caller.triggerAsync(TriggerRequest.of("calc::add", Map.of("a", i, "b", i))));
    }
    for (int i = 0; i < calls.size(); i++) {
      assertThat(calls.get(i).get(30, TimeUnit.SECONDS).path("sum").asInt()).isEqualTo(2 * i);
    }
  }

  @Test
  void aWorkerThatShutsDownMidCallStopsTheCall() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Iii doomed = TestSupport.worker(engine, "doomed-worker", link);
    try {
      doomed.registerFunction(
          "doomed::hang",
          (data, ctx) -> {
            started.countDown();
            release.await(30, TimeUnit.SECONDS);
            return "too late";
          });
      TestSupport.sync(doomed);
      CompletableFuture<JsonNode> call =
          caller.triggerAsync(TriggerRequest.of("doomed::hang", Map.of()));
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

      doomed.shutdown();

      assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(IiiException.class)
          .extracting(c -> ((IiiException) c).code())
          .isEqualTo("invocation_stopped");
    } finally {
      release.countDown();
      doomed.shutdown();
    }
  }
}
