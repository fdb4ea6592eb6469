package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThatObject;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.WorkerOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ObjectAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;

/**
 * A real engine on an ephemeral port per test, plus the Node and Java workers the test starts;
 * everything is stopped after the test, Node processes by PID.
 */
abstract class InteropTest {

  static final Duration WAIT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();

  protected IiiEngine engine;
  private String testName;
  private int started;
  private final List<NodeWorker> nodes = new ArrayList<>();
  private final List<Iii> javaWorkers = new ArrayList<>();

  @BeforeAll
  static void nodeIsAvailable() {
    NodeRuntime.require();
  }

  @BeforeEach
  void startEngine(TestInfo info) throws Exception {
    testName = getClass().getSimpleName() + "-" + info.getTestMethod().orElseThrow().getName();
    engine = IiiEngine.start(engineConfig());
  }

  /**
   * The engine each test gets; a test class that needs an opt-in worker (iii-queue) adds it here.
   * Runs after the test instance's {@code @TempDir} fields are set.
   */
  protected EngineConfig engineConfig() {
    return EngineConfig.ephemeral();
  }

  @AfterEach
  void stopEverything() {
    nodes.forEach(NodeWorker::close);
    javaWorkers.forEach(Iii::shutdown);
    if (engine != null) {
      engine.close();
    }
  }

  /** A worker name unique to this test, so engine-side lookups by name cannot mix workers up. */
  protected String name(String role) {
    return testName + "-" + role;
  }

  /** Starts a Node scenario against the current engine, named {@code name(role)}. */
  protected NodeWorker node(String scenario, String role, Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.put("III_URL", engine.workerUrl());
    all.put("WORKER_NAME", name(role));
    NodeWorker worker = NodeWorker.start(scenario, all, testName + "-" + role + "-" + ++started);
    nodes.add(worker);
    return worker;
  }

  /** A Java SDK worker connected to the current engine. */
  protected Iii javaWorker(String role) throws Exception {
    Iii iii =
        Iii.registerWorker(
            engine.workerUrl(),
            WorkerOptions.builder().workerName(name(role)).invocationTimeout(WAIT).build());
    javaWorkers.add(iii);
    iii.ready().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    return iii;
  }

  protected void awaitFunction(String id) {
    await("function " + id + " registered").atMost(WAIT).until(() -> engine.core().function(id).isPresent());
  }

  protected void awaitTriggerType(String id) {
    await("trigger type " + id + " registered").atMost(WAIT).until(() -> engine.core().triggerType(id).isPresent());
  }

  /** The engine's binding of {@code functionId} to a trigger of {@code type}, once it has one. */
  protected TriggerBinding awaitBinding(String type, String functionId) {
    return await("a " + type + " trigger bound to " + functionId)
        .atMost(WAIT)
        .until(() -> findBinding(type, functionId), Optional::isPresent)
        .orElseThrow();
  }

  protected Optional<TriggerBinding> findBinding(String type, String functionId) {
    return engine.core().triggerBindings().stream()
        .filter(b -> b.triggerType().equals(type) && b.functionId().equals(functionId))
        .findFirst();
  }

  /** The port a built-in worker of this test's engine listens on (iii-http, iii-stream). */
  protected int builtinPort(String worker) {
    return engine
        .port(worker)
        .orElseThrow(() -> new AssertionError(worker + " is not listening; EngineConfig.ephemeral() should start it"));
  }

  /** The connected worker that reported {@code name(role)} through engine::workers::register. */
  protected Worker awaitWorker(String role) {
    String wanted = name(role);
    return await("worker " + wanted + " connected")
        .atMost(WAIT)
        .until(() -> findWorker(wanted), Optional::isPresent)
        .orElseThrow();
  }

  protected Optional<Worker> findWorker(String wantedName) {
    return engine.core().workers().stream()
        .filter(w -> !w.isBuiltin() && !w.isGone() && wantedName.equals(w.metadata().name()))
        .findFirst();
  }

  /** Once no call is in flight anywhere in the engine, no late duplicate can still arrive. */
  protected void awaitNoPendingInvocations() {
    await("no invocation pending in the engine").atMost(WAIT).until(() -> engine.core().pendingInvocations() == 0);
  }

  /**
   * Equal JSON values: numbers compare by value, so 3.14159 read as a double here equals the
   * BigDecimal the SDK reads it as (both encode the same JSON number).
   */
  private static final Comparator<JsonNode> SAME_VALUE =
      (a, b) -> {
        if (a.equals(b)) {
          return 0;
        }
        return a.isNumber() && b.isNumber() && a.decimalValue().compareTo(b.decimalValue()) == 0 ? 0 : 1;
      };

  private static final Comparator<JsonNode> SAME_JSON =
      (a, b) -> a == null || b == null ? (a == b ? 0 : 1) : a.equals(SAME_VALUE, b) ? 0 : 1;


  /** The equality {@link #assertJson} uses, as a predicate. */
  static boolean sameJson(JsonNode a, JsonNode b) {
    return SAME_JSON.compare(a, b) == 0;
  }

  static ObjectAssert<JsonNode> assertJson(JsonNode actual) {
    return assertThatObject(actual).usingComparator(SAME_JSON, "JSON value equality");
  }

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException("bad JSON in test: " + text, e);
    }
  }

  /** {@code data} without the {@code _caller_worker_id} the engine adds to worker-to-worker calls. */
  static JsonNode withoutCallerId(JsonNode data) {
    if (data instanceof ObjectNode object && object.has("_caller_worker_id")) {
      ObjectNode copy = object.deepCopy();
      copy.remove("_caller_worker_id");
      return copy;
    }
    return data;
  }

  /**
   * A payload that exercises JSON on both sides: unicode outside the BMP, escapes, the largest
   * exact JS integer, negatives, fractions, nulls, booleans, nested and empty containers.
   */
  static JsonNode richPayload(String marker) {
    ObjectNode payload = (ObjectNode) json(
        """
        {"text":"h\\u00e9llo \\u2713 \\ud834\\udd1e \\"quoted\\" \\\\ back\\nslash",
         "n":42,"big":9007199254740991,"neg":-7,"pi":3.14159,"tiny":1.5e-7,
         "flag":true,"off":false,"none":null,
         "list":[1,"two",{"three":3},[],[null]],
         "nested":{"deep":{"deeper":[[{"k":"v"}]]}},"empty":{}}
        """);
    payload.put("marker", marker);
    return payload;
  }
}
