package io.linkly.iii.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.FloodingWorker;
import io.linkly.iii.engine.testing.LogCapture;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's call path under peers that misbehave: deadlines, the per-worker cap, a peer that
 * never reads, and workers that try to take ids over. Raw sockets on a real engine.
 */
class CallPathTest {

  private IiiEngine engine;

  @AfterEach
  void stop() {
    if (engine != null) {
      engine.close();
    }
  }

  private IiiEngine start(EngineConfig config) throws Exception {
    engine = IiiEngine.start(config);
    return engine;
  }

  private static EngineConfig withManager(String key, long value) {
    return EngineConfig.ephemeral().withSetting("iii-worker-manager", key, Json.mapper().getNodeFactory().numberNode(value));
  }

  private RawWorker worker() throws Exception {
    return RawWorker.connect(engine.workerUrl());
  }

  private void register(RawWorker worker, String functionId) throws Exception {
    worker.send(Json.write(Json.object().put("type", "registerfunction").put("id", functionId)));
    worker.call("call-path::barrier::" + UUID.randomUUID(), Json.object()); // frames are handled in order
  }

  private static String invokeFrame(String functionId, Long timeoutMs) {
    ObjectNode frame =
        Json.object()
            .put("type", "invokefunction")
            .put("invocation_id", UUID.randomUUID().toString())
            .put("function_id", functionId);
    frame.putObject("data");
    if (timeoutMs != null) {
      frame.put("timeout_ms", timeoutMs);
    }
    return Json.write(frame);
  }

  private JsonNode health(RawWorker caller) throws Exception {
    return caller.call("engine::health::check", Json.object()).path("result");
  }

  // ------------------------------------------------------------------ deadlines

  @Test
  void aCallNobodyAnswersEndsAtTheCallersDeadlineAndIsForgotten() throws Exception {
    start(EngineConfig.ephemeral());
    try (RawWorker executor = worker(); RawWorker caller = worker()) {
      register(executor, "silent::never");
      String frame = invokeFrame("silent::never", 300L);
      String id = Json.mapper().readTree(frame).get("invocation_id").asText();
      caller.send(frame);
      JsonNode routed = executor.next("invokefunction");
      assertThat(routed.path("function_id").asText()).isEqualTo("silent::never");
      assertThat(health(caller).path("invocations").path("pending").asInt()).isEqualTo(1);

      JsonNode answer = caller.answer(id);
      assertThat(answer.path("error").path("code").asText()).isEqualTo("invocation_timeout");
      assertThat(answer.path("error").path("message").asText()).contains("silent::never").contains("300 ms");
      // the caller is answered first, then the target's side is cancelled and its slot freed
      await().atMost(Duration.ofSeconds(5)).until(() -> health(caller).path("invocations").path("pending").asInt() == 0);
      JsonNode invocations = health(caller).path("invocations");
      assertThat(invocations.path("pending").asInt()).isZero();
      assertThat(invocations.path("timed_out").asLong()).isEqualTo(1);

      // the executor's late answer reaches nobody
      executor.send(
          Json.write(
              Json.object()
                  .put("type", "invocationresult")
                  .put("invocation_id", routed.get("invocation_id").asText())
                  .put("function_id", "silent::never")
                  .put("result", 42)));
      assertThat(caller.next(m -> id.equals(m.path("invocation_id").asText()), Duration.ofMillis(300))).isNull();
    }
  }

  @Test
  void aCallWithoutItsOwnTimeoutGetsTheEnginesDefaultDeadline() throws Exception {
    start(withManager("invocation_timeout_ms", 200));
    try (RawWorker executor = worker(); RawWorker caller = worker()) {
      register(executor, "silent::never");
      String frame = invokeFrame("silent::never", null);
      caller.send(frame);
      JsonNode answer = caller.answer(Json.mapper().readTree(frame).get("invocation_id").asText());
      assertThat(answer.path("error").path("code").asText()).isEqualTo("invocation_timeout");
      assertThat(answer.path("error").path("message").asText()).contains("200 ms");
      // the answer is written as the deadline fires, the slot freed a moment after: both happen
      await().atMost(Duration.ofSeconds(10)).until(() -> engine.core().pendingInvocations() == 0);
    }
  }

  @Test
  void aCallerThatLeavesHasItsCallsForgottenAtTheExecutor() throws Exception {
    start(EngineConfig.ephemeral());
    try (RawWorker executor = worker()) {
      register(executor, "silent::never");
      RawWorker caller = worker();
      caller.send(invokeFrame("silent::never", 60_000L));
      executor.next("invokefunction");
      assertThat(engine.core().pendingInvocations()).isEqualTo(1);
      caller.abort();
      await().atMost(Duration.ofSeconds(10)).until(() -> engine.core().pendingInvocations() == 0);
    }
  }

  @Test
  void anHttpRequestThatTimesOutAbandonsItsCall() throws Exception {
    start(EngineConfig.ephemeral().withSetting("iii-http", "default_timeout", Json.mapper().getNodeFactory().numberNode(300)));
    try (RawWorker executor = worker()) {
      register(executor, "slow::page");
      executor.send(
          "{\"type\":\"registertrigger\",\"id\":\"slow-route\",\"trigger_type\":\"http\",\"function_id\":\"slow::page\","
              + "\"config\":{\"api_path\":\"slow\",\"http_method\":\"GET\"}}");
      register(executor, "call-path::after-route");
      java.net.http.HttpResponse<String> response =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create("http://127.0.0.1:" + engine.port("iii-http").orElseThrow() + "/slow"))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(504);
      assertThat(executor.next("invokefunction")).as("the request reached the worker").isNotNull();
      await().atMost(Duration.ofSeconds(10)).until(() -> engine.core().pendingInvocations() == 0);
    }
  }

  @Test
  void everyCallPassesTheInterceptorChainWhoeverMakesIt() throws Exception {
    start(EngineConfig.ephemeral());
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    engine.core().router().addInterceptor(chain -> {
      seen.add(chain.call().functionId() + " from " + chain.call().callerWorkerId());
      return chain.proceed(chain.call());
    });
    engine.core().router().addInterceptor(chain ->
        chain.call().functionId().startsWith("forbidden::")
            ? CompletableFuture.failedFuture(new InvocationException("FORBIDDEN", "not for you"))
            : chain.proceed(chain.call()));
    try (RawWorker caller = worker()) {
      caller.call("engine::functions::list", Json.object());
      JsonNode refused = caller.call("forbidden::thing", Json.object());
      assertThat(refused.path("error").path("code").asText()).isEqualTo("FORBIDDEN");
      // a call the engine makes itself (an HTTP route to a built-in would do; a direct one is simplest)
      engine.core().invoke(Call.of("engine::functions::list", Json.object())).get();
      assertThat(seen)
          .contains("engine::functions::list from " + caller.workerId(), "forbidden::thing from " + caller.workerId(),
              "engine::functions::list from null");
    }
  }

  // ------------------------------------------------------------------ the cap per worker

  @Test
  void callsPastAWorkersCapAreRefusedAtOnceAndTheEngineHoldsNoMore() throws Exception {
    int cap = 1_000;
    int calls = 200_000;
    // the held calls must outlive the refusals: on a slow machine 199,000 of them took over the
    // default 30 s, and the first calls' invocation_timeout answers came in among them
    start(withManager("max_invocations_per_worker", cap)
        .withSetting("iii-worker-manager", "invocation_timeout_ms", Json.mapper().getNodeFactory().numberNode(600_000)));
    try (RawWorker executor = worker(); RawWorker caller = worker()) {
      register(executor, "silent::never");
      long heapBefore = usedHeapAfterGc();
      for (int i = 0; i < calls; i++) {
        caller.send(invokeFrame("silent::never", null));
      }
      int refused = 0;
      for (int i = 0; i < calls - cap; i++) {
        JsonNode answer = caller.next(m -> true, Duration.ofSeconds(30));
        assertThat(answer).as("answer %d", i).isNotNull();
        assertThat(answer.path("error").path("code").asText()).isEqualTo("worker_busy");
        refused++;
      }
      // every refusal came while the first calls were still held: none of them had ended yet
      assertThat(refused).isEqualTo(calls - cap);
      assertThat(engine.core().pendingInvocations()).isEqualTo(cap);
      assertThat(health(caller).path("invocations").path("refused").asLong()).isEqualTo(calls - cap);
      long growth = usedHeapAfterGc() - heapBefore;
      assertThat(growth).as("heap growth in bytes").isLessThan(64L * 1024 * 1024);
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    Runtime runtime = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return runtime.totalMemory() - runtime.freeMemory();
  }

  // ------------------------------------------------------------------ a peer that never reads

  @Test
  void aWorkerThatCallsButNeverReadsIsCutOffOnceAndAlone() throws Exception {
    start(withManager("slow_worker_grace_ms", 500).withSetting(
        "iii-worker-manager", "max_buffered_bytes", Json.mapper().getNodeFactory().numberNode(65_536)));
    try (LogCapture logs = new LogCapture(); RawWorker bystander = worker()) {
      long rssBefore = rssBytes();
      FloodingWorker flooder = new FloodingWorker(engine.workerUrl());
      // engine::functions::list answers with a few KB: the unread answers pile up fast
      CompletableFuture<Integer> sent = CompletableFuture.supplyAsync(() -> flooder.flood("engine::functions::list", 2_000_000));
      int frames = sent.get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(frames).as("the engine stopped the flood before 2,000,000 calls").isLessThan(2_000_000);
      await().atMost(Duration.ofSeconds(10)).until(flooder::isClosedByPeer);
      flooder.close();
      assertThat(logs.containing("is not reading its output")).hasSize(1);
      assertThat(rssBytes() - rssBefore).as("RSS growth in bytes").isLessThan(64L * 1024 * 1024);
      // everybody else is served as before
      assertThat(bystander.call("engine::health::check", Json.object()).path("result").path("status").asText())
          .isEqualTo("healthy");
    }
  }

  @Test
  void aWorkerThatReadsSlowlyIsNotCutOff() throws Exception {
    // the grace must outlast the kernel's socket buffers: a sender is woken only once a third of
    // them has drained, which at this reader's pace takes most of a second — several seconds on a
    // loaded machine, where the reader's 2 ms naps last far longer (it failed with 3 s under load)
    start(withManager("slow_worker_grace_ms", 5_000).withSetting(
        "iii-worker-manager", "max_buffered_bytes", Json.mapper().getNodeFactory().numberNode(65_536)));
    try (LogCapture logs = new LogCapture();
        FloodingWorker slow = new FloodingWorker(engine.workerUrl());
        RawWorker caller = worker()) {
      slow.send("{\"type\":\"registerfunction\",\"id\":\"slow::reader\"}");
      await().atMost(Duration.ofSeconds(10)).until(() -> engine.core().function("slow::reader").isPresent());
      // 9,000 calls of 1 KiB reach the worker at once: more than the kernel's socket buffers hold,
      // read at about 2 MiB/s, so its output stays above the bound for seconds while it does read
      // (more calls would block this thread's sends before it starts reading)
      ObjectNode frame = Json.object().put("type", "invokefunction").put("function_id", "slow::reader");
      frame.putObject("data").put("pad", "p".repeat(1024));
      frame.putObject("action").put("type", "void");
      String call = Json.write(frame);
      for (int i = 0; i < 9_000; i++) {
        caller.send(call);
      }
      long read = slow.readSlowly(4096, 2, 2_000);
      assertThat(read).as("bytes read; -1 means the engine cut the worker off").isGreaterThan(9_000L * 1024);
      assertThat(logs.containing("is not reading its output")).isEmpty();
    }
  }

  private static long rssBytes() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  // ------------------------------------------------------------------ ownership

  /** Serves the next call {@code worker} receives with {@code value}. */
  private static void answerNext(RawWorker worker, String value) throws Exception {
    JsonNode call = worker.next("invokefunction");
    assertThat(call).as("a call routed to the worker").isNotNull();
    worker.send(
        Json.write(
            Json.object()
                .put("type", "invocationresult")
                .put("invocation_id", call.get("invocation_id").asText())
                .put("function_id", call.get("function_id").asText())
                .put("result", value)));
  }

  private static String callAnsweredBy(RawWorker caller, RawWorker executor, String value) throws Exception {
    String id = caller.invoke("app::hello", Json.object(), null);
    answerNext(executor, value);
    return caller.answer(id).path("result").asText();
  }

  @Test
  void aTakenOverIdGoesBackToItsPreviousOwnerWhenTheNewOneLeaves() throws Exception {
    start(EngineConfig.ephemeral());
    try (RawWorker original = worker(); RawWorker caller = worker()) {
      register(original, "app::hello");
      assertThat(callAnsweredBy(caller, original, "original")).isEqualTo("original");

      RawWorker intruder = worker();
      register(intruder, "app::hello");
      assertThat(callAnsweredBy(caller, intruder, "intruder")).isEqualTo("intruder");

      intruder.abort();
      await().atMost(Duration.ofSeconds(10)).until(() -> engine.core().function("app::hello").map(f -> f.owner().id())
          .orElse("").equals(original.workerId()));
      assertThat(callAnsweredBy(caller, original, "original again")).isEqualTo("original again");

      // the same after an explicit unregister
      RawWorker second = worker();
      register(second, "app::hello");
      assertThat(callAnsweredBy(caller, second, "second")).isEqualTo("second");
      second.send("{\"type\":\"unregisterfunction\",\"id\":\"app::hello\"}");
      register(second, "app::other"); // a barrier: the unregister is done
      assertThat(callAnsweredBy(caller, original, "original once more")).isEqualTo("original once more");
      second.close();
    }
  }

  @Test
  void workersCannotRegisterBuiltinIdsButMayOverrideACustomStream() throws Exception {
    start(EngineConfig.ephemeral());
    try (LogCapture logs = new LogCapture(); RawWorker intruder = worker(); RawWorker caller = worker()) {
      register(intruder, "engine::functions::list");
      register(intruder, "engine::functions::list"); // refused again, logged once
      register(intruder, "stream::set");
      register(intruder, "state::get");
      register(intruder, "publish");
      register(intruder, "stream::set(presence)");

      JsonNode list = caller.call("engine::functions::list", Json.object());
      assertThat(list.path("error").isMissingNode()).isTrue();
      JsonNode set = caller.call("stream::set", RawWorker.payload("stream_name", "s", "group_id", "g", "item_id", "i", "data", 1));
      assertThat(set.path("error").isMissingNode()).as("stream::set served by the built-in: %s", set).isTrue();
      assertThat(intruder.next("invokefunction", Duration.ofMillis(300))).as("nothing was routed to the intruder").isNull();

      assertThat(logs.containing("may not register function engine::functions::list")).hasSize(1);
      assertThat(logs.containing("may not register function stream::set:")).hasSize(1);
      assertThat(logs.containing("may not register function stream::set(presence)")).isEmpty();
      assertThat(engine.core().function("stream::set(presence)").orElseThrow().owner().id()).isEqualTo(intruder.workerId());
    }
  }

  @Test
  void wireStringsInLogLinesCannotStartANewLine() throws Exception {
    start(EngineConfig.ephemeral());
    try (LogCapture logs = new LogCapture(); RawWorker first = worker(); RawWorker second = worker()) {
      String forged = "app::x\n12:00:00.000 ERROR Engine - forged line\r";
      register(first, forged);
      register(second, forged); // takes it over: logged with the id
      register(second, "engine::y\nforged"); // refused: logged with the id
      second.send("{\"type\":\"registertrigger\",\"id\":\"t\\n1\",\"trigger_type\":\"nope\\nforged\",\"function_id\":\"f\",\"config\":{}}");
      register(second, "app::barrier");
      // a worker's own log line, printed by the engine
      second.call("engine::log::info", RawWorker.payload("message", "hello\nforged line", "service_name", "svc\rforged"));
      await().atMost(Duration.ofSeconds(10)).until(() -> !logs.containing("hello").isEmpty());

      List<String> mentioning = new ArrayList<>(logs.containing("forged"));
      assertThat(mentioning).hasSizeGreaterThanOrEqualTo(4);
      assertThat(mentioning).allSatisfy(line -> assertThat(line).doesNotContain("\n").doesNotContain("\r").contains("\\n"));
    }
  }
}
