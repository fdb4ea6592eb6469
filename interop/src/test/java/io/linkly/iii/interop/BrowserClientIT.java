package io.linkly.iii.interop;

import static io.linkly.iii.interop.InteropTest.assertJson;
import static io.linkly.iii.interop.InteropTest.json;
import static io.linkly.iii.interop.InteropTest.richPayload;
import static io.linkly.iii.interop.InteropTest.withoutCallerId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.FunctionEntry;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.iii.sdk.WorkerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our browser worker client, {@code browser/iii-browser.js}, against a real engine: {@code
 * interop/node/browser-client.mjs} runs it in Node (global WebSocket, no npm package at all) and
 * takes commands; Java SDK workers are the other side of its calls. It does not extend {@link
 * InteropTest}, whose tests need the npm iii-sdk installed: this client must be testable without it.
 */
class BrowserClientIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String STREAM = "clicks";
  private static final String GROUP = "all";
  /** Quick retries, so that the reconnect scenarios take well under a second per attempt. */
  private static final String FAST_RECONNECT =
      "{\"initialDelayMs\":100,\"maxDelayMs\":500,\"backoffMultiplier\":2,\"jitterFactor\":0.3,\"maxRetries\":-1}";

  private static List<String> node;

  @TempDir Path queueDir;

  private IiiEngine engine;
  private String testName;
  private int started;
  private final List<NodeWorker> tabs = new ArrayList<>();
  private final List<Iii> javaWorkers = new ArrayList<>();
  private final List<ScriptedListener> listeners = new ArrayList<>();
  private final List<CountDownLatch> releaseOnExit = new ArrayList<>();

  @BeforeAll
  static void nodeHasWebSocket() {
    node = NodeRuntime.requireWebSocketNode();
  }

  @BeforeEach
  void startEngine(TestInfo info) throws Exception {
    testName = getClass().getSimpleName() + "-" + info.getTestMethod().orElseThrow().getName();
    engine = IiiEngine.start(engineConfig(0));
  }

  /** The ephemeral defaults plus iii-queue (for Enqueue), its journal in a temp directory. */
  private EngineConfig engineConfig(int workerPort) {
    ObjectNode adapter = InteropTest.JSON.createObjectNode().put("name", "builtin");
    adapter.putObject("config").put("file_path", queueDir.toString());
    return EngineConfig.ephemeral()
        .withWorkerPort(workerPort)
        .withSetting("iii-queue", "queue_configs", json("{\"jobs\":{\"type\":\"standard\"}}"))
        .withSetting("iii-queue", "adapter", adapter);
  }

  @AfterEach
  void stopEverything() throws Exception {
    releaseOnExit.forEach(CountDownLatch::countDown);
    tabs.forEach(NodeWorker::close);
    javaWorkers.forEach(Iii::shutdown);
    for (ScriptedListener listener : listeners) {
      listener.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  // ------------------------------------------------------------------ scenarios

  @Test
  void functionsRegisteredBeforeTheSocketOpensServeJavaAndTheTabCallsJavaAndBuiltins() throws Exception {
    NodeWorker tab = tab(Map.of("PRE_REGISTER", "browser::echo"));
    assertThat(tab.await("pre-registered").path("state").asText())
        .as("registerFunction right after registerWorker, before any socket is open")
        .isEqualTo("connecting");
    String workerId = awaitConnected(tab, 1);
    assertThat(engine.core().worker(workerId)).as("workerId is the engine's id of the connection").isPresent();

    FunctionEntry echo = awaitFunction("browser::echo");
    assertThat(echo.owner().id()).isEqualTo(workerId);
    assertThat(echo.description()).isEqualTo("browser::echo, registered before the socket opened");
    assertJson(echo.metadata()).isEqualTo(json("{\"pre\":true}"));

    Iii java = javaWorker("java");
    JsonNode payload = richPayload("java calls the tab");
    JsonNode echoed = java.trigger(TriggerRequest.of("browser::echo", payload));
    assertJson(withoutCallerId(echoed.get("echo"))).as("the tab's handler result").isEqualTo(payload);
    assertJson(withoutCallerId(tab.await("called").get("data"))).as("what the handler got").isEqualTo(payload);

    java.registerFunction("java::echo", (data, ctx) -> data);
    awaitFunction("java::echo");
    JsonNode back = richPayload("the tab calls java");
    call(tab, "java-echo", "java::echo", back, Map.of());
    assertJson(withoutCallerId(succeeded(tab, "java-echo").get("value"))).isEqualTo(back);

    call(tab, "missing-state", "state::get", Map.of("scope", "browser", "key", "never-set"), Map.of());
    JsonNode missing = succeeded(tab, "missing-state");
    assertThat(missing.path("is_undefined").asBoolean())
        .as("a call whose result the engine omits resolves undefined: %s", missing)
        .isTrue();
  }

  @Test
  void voidResolvesOnceSentWithoutWaitingAndEnqueueIsAcknowledged() throws Exception {
    NodeWorker tab = tab(Map.of());
    awaitConnected(tab, 1);
    Iii java = javaWorker("java");
    CountDownLatch release = latch();
    List<JsonNode> got = new CopyOnWriteArrayList<>();
    java.registerFunction(
        "java::record",
        (data, ctx) -> {
          got.add(withoutCallerId(data));
          release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
          return Map.of("recorded", true);
        });
    awaitFunction("java::record");

    call(tab, "void", "java::record", Map.of("marker", "void"), Map.of("action", "void"));
    JsonNode fired = succeeded(tab, "void");
    assertThat(fired.path("is_undefined").asBoolean()).as("void resolves undefined: %s", fired).isTrue();
    await("the void call reached Java").atMost(WAIT).until(() -> got.contains(json("{\"marker\":\"void\"}")));
    assertThat(release.getCount()).as("the tab's promise resolved while the Java handler was still running").isEqualTo(1);
    release.countDown();

    call(tab, "enqueue", "java::record", Map.of("marker", "queued"), Map.of("action", "enqueue", "queue", "jobs"));
    JsonNode receipt = succeeded(tab, "enqueue");
    assertThat(receipt.path("value").path("messageReceiptId").asText()).as("%s", receipt).isNotBlank();
    await("the queue ran the enqueued call").atMost(WAIT).until(() -> got.contains(json("{\"marker\":\"queued\"}")));
  }

  @Test
  void streamTriggerDeliversSetEventsUntilUnregistered() throws Exception {
    NodeWorker tab = tab(Map.of());
    String workerId = awaitConnected(tab, 1);
    tab.command("register-function", Map.of("id", "browser::on_click", "behaviour", "record"));
    tab.command("register-function", Map.of("id", "browser::witness", "behaviour", "record"));
    String triggerId = registerStreamTrigger(tab, "clicks", "browser::on_click");
    TriggerBinding binding = awaitBinding("browser::on_click");
    assertThat(binding.id()).as("the trigger id the tab chose").isEqualTo(triggerId);
    assertThat(binding.ownerWorkerId()).isEqualTo(workerId);
    assertJson(binding.config()).isEqualTo(json("{\"stream_name\":\"clicks\",\"group_id\":\"all\"}"));

    Iii java = javaWorker("java");
    set(java, GROUP, "c1", json("{\"n\":1}"));
    set(java, "another-group", "o1", json("{\"n\":99}"));
    set(java, GROUP, "c1", json("{\"n\":2}"));
    List<JsonNode> clicks = calls(tab, "browser::on_click", 2);
    assertStreamEvent(clicks.get(0).get("data"), "c1", "create", json("{\"n\":1}"));
    assertStreamEvent(clicks.get(1).get("data"), "c1", "update", json("{\"n\":2}"));

    tab.command("unregister-trigger", Map.of("tag", "clicks"));
    await("the binding is gone from the engine").atMost(WAIT).until(() -> findBinding("browser::on_click").isEmpty());
    // A second binding on the same stream is the witness that an event was delivered at all.
    registerStreamTrigger(tab, "witness", "browser::witness");
    awaitBinding("browser::witness");
    set(java, GROUP, "c2", json("{\"n\":3}"));
    assertStreamEvent(calls(tab, "browser::witness", 1).get(0).get("data"), "c2", "create", json("{\"n\":3}"));
    awaitNoPendingInvocations();
    assertThat(calls(tab, "browser::on_click")).as("no event after unregister()\n%s", tab.describe()).hasSize(2);
  }

  @Test
  void errorsAreTypedBothWays() throws Exception {
    NodeWorker tab = tab(Map.of());
    awaitConnected(tab, 1);
    for (String behaviour : List.of("fail", "fail-coded", "throw-string", "relay")) {
      tab.command("register-function", Map.of("id", "browser::" + behaviour, "behaviour", behaviour));
    }
    awaitFunction("browser::relay");
    Iii java = javaWorker("java");
    String forbidden = "function 'java::refuse' not allowed (add to rbac.expose_functions)";
    java.registerFunction(
        "java::refuse",
        (data, ctx) -> {
          throw new IiiException("FORBIDDEN", forbidden);
        });
    awaitFunction("java::refuse");

    // The tab's handlers, called from Java.
    IiiException thrown = javaCallFails(java, "browser::fail", Map.of());
    assertThat(thrown.code()).isEqualTo("invocation_failed");
    assertThat(thrown.getMessage()).isEqualTo("boom");
    assertThat(thrown.stacktrace()).as("the JS stack").contains("Error: boom");
    IiiException coded = javaCallFails(java, "browser::fail-coded", Map.of());
    assertThat(coded.code()).as("an error with a code keeps it").isEqualTo("LINK_EXISTS");
    assertThat(coded.getMessage()).isEqualTo("code taken");
    IiiException string = javaCallFails(java, "browser::throw-string", Map.of());
    assertThat(string.code()).isEqualTo("invocation_failed");
    assertThat(string.getMessage()).isEqualTo("just a string");
    IiiException relayed = javaCallFails(java, "browser::relay", Map.of("function_id", "java::refuse"));
    assertThat(relayed.code()).as("a nested call's error relayed with its code").isEqualTo("FORBIDDEN");
    assertThat(relayed.getMessage()).as("and its message, not prefixed twice").isEqualTo(forbidden);

    // The tab's calls that fail.
    call(tab, "unknown", "nope::missing", Map.of(), Map.of());
    JsonNode unknown = failed(tab, "unknown");
    assertInvocationError(unknown, "function_not_found", "nope::missing");
    assertThat(unknown.path("message").asText()).isEqualTo("function_not_found: Function nope::missing not found");

    call(tab, "forbidden", "java::refuse", Map.of(), Map.of());
    JsonNode refused = failed(tab, "forbidden");
    assertInvocationError(refused, "FORBIDDEN", "java::refuse");
    assertThat(refused.path("message").asText()).isEqualTo("FORBIDDEN: " + forbidden);

    call(tab, "own-handler", "browser::fail", Map.of(), Map.of());
    JsonNode own = failed(tab, "own-handler");
    assertInvocationError(own, "invocation_failed", "browser::fail");
    assertThat(own.path("message").asText()).isEqualTo("invocation_failed: boom (function 'browser::fail')");
  }

  @Test
  void aCallPastItsTimeoutRejectsWithTimeoutAndTheEngineGivesUpToo() throws Exception {
    NodeWorker tab = tab(Map.of());
    awaitConnected(tab, 1);
    Iii java = javaWorker("java");
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = latch();
    java.registerFunction(
        "java::slow",
        (data, ctx) -> {
          entered.countDown();
          release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
          return Map.of("late", true);
        });
    awaitFunction("java::slow");

    call(tab, "slow", "java::slow", Map.of(), Map.of("timeoutMs", 500));
    JsonNode timedOut = failed(tab, "slow");
    assertInvocationError(timedOut, "timeout", "java::slow");
    assertThat(timedOut.path("message").asText()).isEqualTo("timeout: no result within 500 ms (function 'java::slow')");
    assertThat(timedOut.path("elapsed_ms").asLong()).as("%s", timedOut).isBetween(490L, 10_000L);
    assertThat(entered.await(0, TimeUnit.SECONDS)).as("the call did reach Java").isTrue();
    // The call carried its deadline (timeout_ms): the engine dropped it although Java still runs,
    // long before the engine's own default deadline (30 s) would have.
    await("the engine gave up on the call").atMost(Duration.ofSeconds(10)).until(() -> engine.core().pendingInvocations() == 0);
    assertThat(release.getCount()).isEqualTo(1);
    release.countDown();

    call(tab, "after", "java::slow", Map.of(), Map.of());
    assertJson(succeeded(tab, "after").get("value")).as("the late result was ignored; the next call works").isEqualTo(json("{\"late\":true}"));
  }

  @Test
  void anUnregisteredFunctionIsGoneFromTheEngine() throws Exception {
    NodeWorker tab = tab(Map.of());
    awaitConnected(tab, 1);
    tab.command("register-function", Map.of("id", "browser::temp", "behaviour", "echo"));
    awaitFunction("browser::temp");
    Iii java = javaWorker("java");
    assertThat(java.trigger(TriggerRequest.of("browser::temp", Map.of("n", 1))).path("echo").path("n").asInt()).isEqualTo(1);

    tab.command("unregister-function", Map.of("id", "browser::temp"));
    await("browser::temp unregistered").atMost(WAIT).until(() -> engine.core().function("browser::temp").isEmpty());
    assertThat(javaCallFails(java, "browser::temp", Map.of("n", 2)).code()).isEqualTo("function_not_found");
    assertThat(calls(tab, "browser::temp")).as("the handler ran once").hasSize(1);
  }

  @Test
  void whenTheEngineCutsTheConnectionCallsInFlightFailAndRegistrationsAreReplayed() throws Exception {
    NodeWorker tab = tab(Map.of("PRE_REGISTER", "browser::echo"));
    String first = awaitConnected(tab, 1);
    tab.command("register-function", Map.of("id", "browser::gone", "behaviour", "echo"));
    tab.command("register-function", Map.of("id", "browser::on_click", "behaviour", "record"));
    String triggerId = registerStreamTrigger(tab, "clicks", "browser::on_click");
    tab.command("unregister-function", Map.of("id", "browser::gone"));
    awaitBinding("browser::on_click");
    Iii java = javaWorker("java");
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = latch();
    java.registerFunction(
        "java::hang",
        (data, ctx) -> {
          entered.countDown();
          release.await(WAIT.toSeconds() * 2, TimeUnit.SECONDS);
          return Map.of();
        });
    awaitFunction("java::hang");
    call(tab, "in-flight", "java::hang", Map.of(), Map.of("timeoutMs", 60_000));
    assertThat(entered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the call is in flight").isTrue();

    engine.core().worker(first).orElseThrow().connection().close("BrowserClientIT cuts the tab's connection");

    JsonNode lost = failed(tab, "in-flight");
    assertInvocationError(lost, "connection_lost", "java::hang");
    assertThat(lost.path("elapsed_ms").asLong()).as("failed at once, not at its 60 s timeout").isLessThan(WAIT.toMillis());
    String second = awaitConnected(tab, 2);
    assertThat(second).as("a new connection, a new worker id").isNotEqualTo(first);
    assertThat(states(tab)).as("state changes").containsExactly("connected", "disconnected", "connecting", "connected");

    await("browser::echo replayed on the new connection")
        .atMost(WAIT)
        .until(() -> engine.core().function("browser::echo").map(f -> f.owner().id().equals(second)).orElse(false));
    TriggerBinding rebound =
        await("the stream trigger replayed")
            .atMost(WAIT)
            .until(() -> findBinding("browser::on_click"), b -> b.isPresent() && second.equals(b.get().ownerWorkerId()))
            .orElseThrow();
    assertThat(rebound.id()).as("the same trigger id as before").isEqualTo(triggerId);
    assertThat(engine.core().function("browser::gone")).as("what was unregistered is not replayed").isEmpty();

    assertThat(java.trigger(TriggerRequest.of("browser::echo", Map.of("after", "cut"))).path("echo").path("after").asText())
        .isEqualTo("cut");
    release.countDown();
    call(tab, "again", "java::hang", Map.of("after", "cut"), Map.of());
    succeeded(tab, "again");
    set(java, GROUP, "c1", json("{\"n\":1}"));
    set(java, GROUP, "c2", json("{\"n\":2}"));
    calls(tab, "browser::on_click", 2);
    awaitNoPendingInvocations();
    assertThat(calls(tab, "browser::on_click")).as("each event once: one binding, not two\n%s", tab.describe()).hasSize(2);
  }

  @Test
  void aTabOutlivesAnEngineRestartAndCallsMadeWhileDownRunAfterwards() throws Exception {
    NodeWorker tab = tab(Map.of("PRE_REGISTER", "browser::echo"));
    awaitConnected(tab, 1);
    tab.command("register-function", Map.of("id", "browser::on_click", "behaviour", "record"));
    String triggerId = registerStreamTrigger(tab, "clicks", "browser::on_click");
    awaitBinding("browser::on_click");
    int port = engine.workerPort();

    engine.close();
    tab.await("state", e -> e.path("state").asText().equals("disconnected"));
    call(tab, "expires", "state::get", Map.of("scope", "browser", "key", "k"), Map.of("timeoutMs", 300));
    JsonNode expired = failed(tab, "expires");
    assertInvocationError(expired, "timeout", "state::get");
    assertThat(states(tab)).as("it timed out while still disconnected").containsOnlyOnce("connected");
    call(tab, "queued", "state::set", Map.of("scope", "browser", "key", "queued", "value", Map.of("while", "down")), Map.of());
    call(tab, "queued-void", "state::set", Map.of("scope", "browser", "key", "void", "value", Map.of("while", "down")), Map.of("action", "void"));
    for (String tag : List.of("queued", "queued-void")) {
      assertThat(tab.await("calling", byTag(tag)).path("state").asText()).as("%s made while down", tag).isNotEqualTo("connected");
    }

    engine = IiiEngine.start(engineConfig(port));

    String second = awaitConnected(tab, 2);
    assertThat(succeeded(tab, "queued").path("value").path("new_value").path("while").asText()).isEqualTo("down");
    assertThat(succeeded(tab, "queued-void").path("is_undefined").asBoolean()).isTrue();
    assertThat(awaitFunction("browser::echo").owner().id()).isEqualTo(second);
    assertThat(awaitBinding("browser::on_click").id()).as("the same trigger id, on a fresh engine").isEqualTo(triggerId);

    Iii java = javaWorker("java");
    assertJson(java.trigger(TriggerRequest.of("state::get", Map.of("scope", "browser", "key", "queued"))))
        .isEqualTo(json("{\"while\":\"down\"}"));
    await("the queued void call ran")
        .atMost(WAIT)
        .until(() -> java.trigger(TriggerRequest.of("state::get", Map.of("scope", "browser", "key", "void"))) != null);
    assertThat(java.trigger(TriggerRequest.of("browser::echo", Map.of("after", "restart"))).path("echo").path("after").asText())
        .isEqualTo("restart");
    set(java, GROUP, "c1", json("{\"n\":1}"));
    assertStreamEvent(calls(tab, "browser::on_click", 1).get(0).get("data"), "c1", "create", json("{\"n\":1}"));
  }

  @Test
  void aRefusedTabIsUnauthorizedRetriesNoFasterThanTheBackoffAndConnectsWhenLetIn() throws Exception {
    ScriptedListener listener = ScriptedListener.start(ScriptedListener.Mode.REFUSE);
    listeners.add(listener);
    NodeWorker tab =
        tab(
            Map.of(
                "III_URL", listener.url("/?token=stale"),
                "PRE_REGISTER", "browser::echo",
                "RECONNECT", "{\"initialDelayMs\":200,\"maxDelayMs\":5000,\"backoffMultiplier\":2,\"jitterFactor\":0.3}"));

    JsonNode refused = tab.await("state");
    assertThat(refused.path("state").asText()).as("%s", refused).isEqualTo("unauthorized");
    assertThat(refused.path("detail").path("code").asText()).isEqualTo("AUTH_ERROR");
    assertThat(refused.path("detail").path("message").asText()).isEqualTo(ScriptedListener.AUTH_MESSAGE);

    await("four attempts").atMost(WAIT).until(() -> listener.attempts().size() >= 4);
    List<ScriptedListener.Attempt> attempts = listener.attempts();
    assertThat(attempts).allSatisfy(a -> assertThat(a.target()).isEqualTo("/?token=stale"));
    for (int i = 1; i < 4; i++) {
      long gapMs = TimeUnit.NANOSECONDS.toMillis(attempts.get(i).atNanos() - attempts.get(i - 1).atNanos());
      long backoffMs = 200L << (i - 1);
      assertThat(gapMs).as("wait before retry %d (backoff %d ms)", i, backoffMs).isGreaterThanOrEqualTo(backoffMs - 5);
    }
    assertThat(states(tab)).as("it stays unauthorized while it retries, without flickering").containsExactly("unauthorized");

    // The auth function lets it in again; this "engine" also pings and sends frames the client does not know.
    listener.mode(ScriptedListener.Mode.ACCEPT);
    String workerId = awaitConnected(tab, 1);
    ScriptedListener.Registration first = listener.registrations().get(0);
    assertThat(workerId).isEqualTo(first.workerId());
    JsonNode register =
        json("{\"type\":\"registerfunction\",\"id\":\"browser::echo\",\"description\":\"browser::echo, registered before the socket opened\",\"metadata\":{\"pre\":true}}");
    JsonNode pong = json("{\"type\":\"pong\"}");
    await("the replay and the pong").atMost(WAIT).until(() -> listener.received().size() >= 2);
    assertThat(listener.received())
        .as("registrations first, then the pong; nothing for the unknown frames")
        .containsExactly(register, pong);

    // A reconnect starts with reattach, so that the engine drops the old connection's bindings first.
    listener.dropConnections();
    assertThat(awaitConnected(tab, 2)).isEqualTo(listener.registrations().get(1).workerId());
    await("the second replay").atMost(WAIT).until(() -> listener.received().size() >= 5);
    ObjectNode reattach = InteropTest.JSON.createObjectNode().put("type", "reattach");
    reattach.put("previous_worker_id", first.workerId()).put("reattach_token", first.reattachToken());
    assertThat(listener.received()).containsExactly(register, pong, reattach, register, pong);
    assertThat(states(tab)).containsExactly("unauthorized", "connected", "disconnected", "connecting", "connected");
  }

  @Test
  void shutdownRejectsPendingCallsAndLeavesNothingRunning() throws Exception {
    NodeWorker tab = tab(Map.of("PRE_REGISTER", "browser::echo"));
    String workerId = awaitConnected(tab, 1);
    Iii java = javaWorker("java");
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = latch();
    java.registerFunction(
        "java::hang",
        (data, ctx) -> {
          entered.countDown();
          release.await(WAIT.toSeconds() * 4, TimeUnit.SECONDS);
          return Map.of();
        });
    awaitFunction("java::hang");
    // Its timer alone would keep Node alive for 100 s if shutdown() left it running.
    call(tab, "in-flight", "java::hang", Map.of(), Map.of("timeoutMs", 100_000));
    assertThat(entered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

    tab.command("shutdown");

    assertInvocationError(failed(tab, "in-flight"), "shutdown", "java::hang");
    JsonNode after = tab.await("after-shutdown");
    assertThat(after.path("code").asText()).as("a call after shutdown(): %s", after).isEqualTo("shutdown");
    assertThat(states(tab)).containsExactly("connected", "closed");
    assertThat(tab.awaitExit(Duration.ofSeconds(15))).as("node ended by itself\n%s", tab.describe()).isZero();
    await("the engine saw the tab leave").atMost(WAIT).until(() -> engine.core().worker(workerId).isEmpty());
  }

  @Test
  void shutdownWhileReconnectingLeavesNothingRunning() throws Exception {
    NodeWorker tab = tab(Map.of("RECONNECT", "{\"initialDelayMs\":300,\"maxDelayMs\":1000}"));
    awaitConnected(tab, 1);
    engine.close();
    engine = null;
    tab.await("state", e -> e.path("state").asText().equals("connecting"));
    call(tab, "waiting", "state::get", Map.of("scope", "s", "key", "k"), Map.of("timeoutMs", 100_000));
    tab.await("calling", byTag("waiting"));

    tab.command("shutdown");

    assertInvocationError(failed(tab, "waiting"), "shutdown", "state::get");
    assertThat(tab.awaitExit(Duration.ofSeconds(15))).as("no reconnect timer or socket left\n%s", tab.describe()).isZero();
  }

  @Test
  void afterMaxRetriesTheClientClosesAndFailsWaitingCalls() throws Exception {
    NodeWorker tab =
        tab(Map.of("RECONNECT", "{\"initialDelayMs\":100,\"maxDelayMs\":200,\"backoffMultiplier\":2,\"maxRetries\":2}"));
    awaitConnected(tab, 1);
    engine.close();
    engine = null;
    tab.await("state", e -> e.path("state").asText().equals("disconnected"));
    call(tab, "waiting", "state::get", Map.of("scope", "s", "key", "k"), Map.of("timeoutMs", 100_000));

    JsonNode closed = tab.await("state", e -> e.path("state").asText().equals("closed"));
    assertThat(closed.path("detail").path("reason").asText()).isEqualTo("max_retries");
    assertInvocationError(failed(tab, "waiting"), "connection_lost", "state::get");
    assertThat(states(tab))
        .as("two retries, then it gives up")
        .containsExactly("connected", "disconnected", "connecting", "disconnected", "connecting", "closed");
    tab.closeStdin();
    assertThat(tab.awaitExit(Duration.ofSeconds(15))).as("nothing left running\n%s", tab.describe()).isZero();
  }

  // ------------------------------------------------------------------ the tab

  /** Starts browser-client.mjs against this test's engine ({@code env} may override III_URL). */
  private NodeWorker tab(Map<String, String> env) {
    Map<String, String> all = new HashMap<>();
    all.put("III_URL", engine.workerUrl());
    all.put("RECONNECT", FAST_RECONNECT);
    all.putAll(env);
    List<String> command = new ArrayList<>(node);
    command.add("browser-client.mjs");
    NodeWorker tab = NodeWorker.start("browser-client", command, all, testName + "-tab-" + ++started);
    tabs.add(tab);
    return tab;
  }

  /** Waits for the {@code nth} "connected" state and returns the worker id it reported. */
  private static String awaitConnected(NodeWorker tab, int nth) {
    tab.await("state", e -> connections(tab).size() >= nth, WAIT);
    String workerId = connections(tab).get(nth - 1).path("workerId").asText(null);
    assertThat(workerId).as("workerId once connected").isNotBlank();
    return workerId;
  }

  private static List<JsonNode> connections(NodeWorker tab) {
    return tab.events("state").stream().filter(e -> e.path("state").asText().equals("connected")).toList();
  }

  private static List<String> states(NodeWorker tab) {
    return tab.events("state").stream().map(e -> e.path("state").asText()).toList();
  }

  /** Asks the tab to call {@code functionId}; {@code extra} holds action, queue, timeoutMs. */
  private static void call(NodeWorker tab, String tag, String functionId, Object payload, Map<String, ?> extra) {
    Map<String, Object> fields = new LinkedHashMap<>(extra);
    fields.put("tag", tag);
    fields.put("function_id", functionId);
    fields.put("payload", payload);
    tab.command("call", fields);
  }

  private static Predicate<JsonNode> byTag(String tag) {
    return e -> e.path("tag").asText().equals(tag);
  }

  private static JsonNode succeeded(NodeWorker tab, String tag) {
    JsonNode outcome = tab.await("outcome", byTag(tag), WAIT);
    assertThat(outcome.path("failed").asBoolean()).as("call %s failed: %s", tag, outcome).isFalse();
    return outcome;
  }

  private static JsonNode failed(NodeWorker tab, String tag) {
    JsonNode outcome = tab.await("outcome", byTag(tag), WAIT);
    assertThat(outcome.path("failed").asBoolean()).as("call %s should have failed: %s", tag, outcome).isTrue();
    return outcome;
  }

  /** An InvocationError with {@code code} whose message and String() name the code and the function. */
  private static void assertInvocationError(JsonNode outcome, String code, String functionId) {
    assertThat(outcome.path("is_invocation_error").asBoolean()).as("instanceof InvocationError: %s", outcome).isTrue();
    assertThat(outcome.path("name").asText()).isEqualTo("InvocationError");
    assertThat(outcome.path("code").asText()).as("%s", outcome).isEqualTo(code);
    assertThat(outcome.path("function_id").asText()).isEqualTo(functionId);
    String message = outcome.path("message").asText();
    assertThat(message).as("message").startsWith(code + ": ").contains(functionId);
    assertThat(outcome.path("string").asText()).isEqualTo("InvocationError: " + message).doesNotContain("[object Object]");
  }

  /** The "called" events of {@code functionId} so far. */
  private static List<JsonNode> calls(NodeWorker tab, String functionId) {
    return tab.events("called").stream().filter(e -> e.path("function_id").asText().equals(functionId)).toList();
  }

  /** Waits until {@code functionId} was called {@code count} times; returns those calls. */
  private static List<JsonNode> calls(NodeWorker tab, String functionId, int count) {
    tab.await("called", e -> calls(tab, functionId).size() >= count, WAIT);
    return calls(tab, functionId).subList(0, count);
  }

  private static String registerStreamTrigger(NodeWorker tab, String tag, String functionId) {
    tab.command(
        "register-trigger",
        Map.of("tag", tag, "type", "stream", "function_id", functionId, "config", Map.of("stream_name", STREAM, "group_id", GROUP)));
    return tab.await("trigger-registered", byTag(tag)).path("id").asText();
  }

  private static void assertStreamEvent(JsonNode event, String item, String kind, JsonNode data) {
    assertThat(event.path("type").asText()).as("%s", event).isEqualTo("stream");
    assertThat(event.path("streamName").asText()).isEqualTo(STREAM);
    assertThat(event.path("groupId").asText()).isEqualTo(GROUP);
    assertThat(event.path("id").asText()).isEqualTo(item);
    assertThat(event.path("event").path("type").asText()).isEqualTo(kind);
    assertJson(event.path("event").path("data")).isEqualTo(data);
  }

  // ------------------------------------------------------------------ the Java side and the engine

  private Iii javaWorker(String role) throws Exception {
    Iii iii =
        Iii.registerWorker(
            engine.workerUrl(),
            WorkerOptions.builder().workerName(testName + "-" + role).invocationTimeout(WAIT).build());
    javaWorkers.add(iii);
    iii.ready().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    return iii;
  }

  private static IiiException javaCallFails(Iii java, String functionId, Object payload) {
    IiiException thrown =
        catchThrowableOfType(() -> java.trigger(TriggerRequest.of(functionId, payload)), IiiException.class);
    assertThat(thrown).as("calling %s from Java should fail", functionId).isNotNull();
    return thrown;
  }

  private static JsonNode set(Iii java, String group, String item, JsonNode data) {
    return java.trigger(
        TriggerRequest.of("stream::set", Map.of("stream_name", STREAM, "group_id", group, "item_id", item, "data", data)));
  }

  /** A latch the test releases; released after the test in any case, so no handler outlives it. */
  private CountDownLatch latch() {
    CountDownLatch latch = new CountDownLatch(1);
    releaseOnExit.add(latch);
    return latch;
  }

  private FunctionEntry awaitFunction(String id) {
    return await("function " + id + " registered")
        .atMost(WAIT)
        .until(() -> engine.core().function(id), Optional::isPresent)
        .orElseThrow();
  }

  private TriggerBinding awaitBinding(String functionId) {
    return await("a stream trigger bound to " + functionId)
        .atMost(WAIT)
        .until(() -> findBinding(functionId), Optional::isPresent)
        .orElseThrow();
  }

  private Optional<TriggerBinding> findBinding(String functionId) {
    return engine.core().triggerBindings().stream()
        .filter(b -> b.triggerType().equals("stream") && b.functionId().equals(functionId))
        .findFirst();
  }

  private void awaitNoPendingInvocations() {
    await("no invocation pending in the engine").atMost(WAIT).until(() -> engine.core().pendingInvocations() == 0);
  }
}
