package io.linkly.iii.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.TriggerAction;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every rule of an RBAC listener (PROTOCOL.md §9), with Java SDK workers on real sockets: a
 * trusted worker on the open listener serves the auth function, the hooks, the middleware and
 * the functions under test; the workers under test connect to the RBAC listener (auth, expose,
 * hooks) or the middleware listener.
 */
class RbacTest {

  private static final String RBAC_LISTENER =
      """
      {"port": 0,
       "rbac": {
         "auth_function_id": "test::auth",
         "expose_functions": ["match(\\"pub::*\\")", "match(\\"slow::*\\")", "match(\\"engine::functions::list\\")",
                              {"metadata": {"public": true}}, {"metadata": {"tier": "match(\\"gold-*\\")"}}],
         "on_function_registration_function_id": "test::on-function",
         "on_trigger_type_registration_function_id": "test::on-trigger-type",
         "on_trigger_registration_function_id": "test::on-trigger"}}
      """;
  private static final String MIDDLEWARE_LISTENER = "{\"port\": 0, \"middleware_function_id\": \"test::middleware\"}";

  private IiiEngine engine;
  private Iii trusted;
  private final List<JsonNode> authCalls = new CopyOnWriteArrayList<>();
  private final List<JsonNode> hookCalls = new CopyOnWriteArrayList<>();
  private final List<JsonNode> middlewareCalls = new CopyOnWriteArrayList<>();
  private final List<Iii> workers = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    engine =
        TestSupport.startEngine(
            EngineConfig.ephemeral()
                .with("iii-worker-manager", Json.mapper().readTree(RBAC_LISTENER))
                .with("iii-worker-manager", Json.mapper().readTree(MIDDLEWARE_LISTENER)));
    trusted = TestSupport.worker(engine, "trusted");
    trusted.registerFunction("test::auth", (data, ctx) -> {
      authCalls.add(data);
      return switch (data.path("headers").path("x-token").asText("")) {
        case "admin" -> Map.of(
            "allowed_functions", List.of("private::allowed-one"),
            "allow_trigger_type_registration", true,
            "context", Map.of("user", "admin"));
        case "restricted" -> Map.of(
            "forbidden_functions", List.of("pub::echo"),
            "allow_function_registration", false,
            "allowed_trigger_types", List.of("stream"));
        case "prefixed" -> Map.of("function_registration_prefix", "tenant-a", "context", Map.of("user", "tenant"));
        case "garbage" -> "not an auth result";
        default -> throw new IiiException("UNAUTHORIZED", "unknown token");
      };
    });
    trusted.registerFunction("test::on-function", (data, ctx) -> {
      hookCalls.add(data);
      String id = data.path("function_id").asText();
      if (id.startsWith("denied::")) {
        throw new IiiException("DENIED", "no");
      }
      if (id.startsWith("slow::")) {
        Thread.sleep(300); // the worker's next message must wait for this answer
      }
      return id.startsWith("rename::") ? Map.of("function_id", id.replace("rename::", "renamed::")) : Map.of();
    });
    trusted.registerFunction("test::on-trigger-type", (data, ctx) -> {
      hookCalls.add(data);
      return data.path("trigger_type_id").asText().startsWith("denied-tt::") ? null : Map.of();
    });
    trusted.registerFunction("test::on-trigger", (data, ctx) -> {
      hookCalls.add(data);
      if (data.path("function_id").asText().startsWith("denied-trig::")) {
        throw new IiiException("DENIED", "no");
      }
      return Map.of();
    });
    trusted.registerFunction("test::middleware", (data, ctx) -> {
      middlewareCalls.add(data);
      ObjectNode payload = ((ObjectNode) data.get("payload").deepCopy()).put("_intercepted", true);
      return trusted.trigger(TriggerRequest.of(data.get("function_id").asText(), payload));
    });
    trusted.registerFunction("pub::echo", (data, ctx) -> Map.of("echoed", data));
    trusted.registerFunction(FunctionDefinition.builder("meta::public").metadata(Map.of("public", true)).build(), (d, c) -> "meta");
    trusted.registerFunction(FunctionDefinition.builder("tier::gold").metadata(Map.of("tier", "gold-1")).build(), (d, c) -> "gold");
    trusted.registerFunction(FunctionDefinition.builder("tier::silver").metadata(Map.of("tier", "silver")).build(), (d, c) -> "silver");
    trusted.registerFunction("private::secret", (data, ctx) -> "secret");
    trusted.registerFunction("private::allowed-one", (data, ctx) -> "allowed");
    TestSupport.sync(trusted);
  }

  @AfterEach
  void stop() {
    workers.forEach(Iii::shutdown);
    trusted.shutdown();
    engine.close();
  }

  private String rbacUrl() {
    return engine.workerUrls().get(1);
  }

  private Iii connect(String url, String token) throws Exception {
    WorkerOptions.Builder options = WorkerOptions.builder().workerName("under-test").reconnect(TestSupport.FAST_RECONNECT);
    if (token != null) {
      options.header("x-token", token);
    }
    Iii iii = Iii.registerWorker(url, options.build());
    workers.add(iii);
    iii.ready().get(10, TimeUnit.SECONDS);
    return iii;
  }

  private static IiiException failure(Iii iii, String functionId) {
    try {
      iii.trigger(TriggerRequest.of(functionId, Map.of()));
    } catch (IiiException e) {
      return e;
    }
    throw new AssertionError(functionId + " was allowed");
  }

  // ------------------------------------------------------------------ auth

  @Test
  void theAuthFunctionSeesHeadersRawQueryAndAddressOnceAndItsAnswerBecomesTheSession() throws Exception {
    RawSocket socket = RawSocket.open(rbacUrl() + "/?token=a%20b&token=c&flag", Map.of("X-Token", "admin"));
    assertThat(socket.next().get("type").asText()).isEqualTo("workerregistered");
    assertThat(authCalls).hasSize(1);
    JsonNode input = authCalls.get(0);
    assertThat(input.at("/headers/x-token").asText()).isEqualTo("admin");
    assertThat(input.at("/query_params/token")).isEqualTo(Json.mapper().readTree("[\"a%20b\",\"c\"]"));
    assertThat(input.at("/query_params/flag")).isEqualTo(Json.mapper().readTree("[\"\"]"));
    assertThat(input.get("ip_address").asText()).isEqualTo("127.0.0.1");
    socket.close();
  }

  @Test
  void aRefusedConnectionGetsAnAuthErrorFrameThenACloseAndNoSession() throws Exception {
    int before = engine.core().workers().size();
    for (String token : List.of("wrong", "garbage")) {
      RawSocket socket = RawSocket.open(rbacUrl() + "/", Map.of("x-token", token));
      JsonNode frame = socket.next();
      assertThat(frame.get("type").asText()).isEqualTo("error");
      assertThat(frame.at("/error/code").asText()).isEqualTo("AUTH_ERROR");
      assertThat(socket.closed).succeedsWithin(Duration.ofSeconds(5));
    }
    assertThat(engine.core().workers()).hasSize(before);
  }

  @Test
  void messagesSentBeforeTheAuthAnswerAreHandledAfterIt() throws Exception {
    RawSocket socket = RawSocket.open(rbacUrl() + "/", Map.of("x-token", "admin"));
    socket.send("{\"type\":\"registerfunction\",\"id\":\"early::fn\"}");
    assertThat(socket.next().get("type").asText()).isEqualTo("workerregistered");
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.core().function("early::fn").isPresent());
    socket.close();
  }

  // ------------------------------------------------------------------ calls

  @Test
  void exposedAllowedAndInfrastructureCallsPassEverythingElseIsForbidden() throws Exception {
    Iii admin = connect(rbacUrl(), "admin");
    assertThat(admin.trigger(TriggerRequest.of("pub::echo", Map.of("a", 1))).at("/echoed/a").asInt()).isEqualTo(1);
    assertThat(admin.trigger(TriggerRequest.of("meta::public", null)).asText()).isEqualTo("meta");
    assertThat(admin.trigger(TriggerRequest.of("tier::gold", null)).asText()).isEqualTo("gold");
    assertThat(admin.trigger(TriggerRequest.of("private::allowed-one", null)).asText()).isEqualTo("allowed");
    admin.trigger(TriggerRequest.of("engine::log::info", Map.of("message", "carve-out")));

    for (String id : List.of("private::secret", "tier::silver", "engine::workers::list", "nobody::home")) {
      IiiException e = failure(admin, id);
      assertThat(e.code()).isEqualTo("FORBIDDEN");
      assertThat(e.getMessage()).contains("function '" + id + "' not allowed (add to rbac.expose_functions)");
    }
    // an exposed id that nobody serves is simply not found
    assertThat(failure(admin, "pub::nobody").code()).isEqualTo("function_not_found");
  }

  @Test
  void forbiddenFunctionsWinOverExposure() throws Exception {
    Iii restricted = connect(rbacUrl(), "restricted");
    IiiException e = failure(restricted, "pub::echo");
    assertThat(e.code()).isEqualTo("FORBIDDEN");
    assertThat(e.getMessage()).contains("(remove from rbac.forbidden_functions)");
    assertThat(restricted.trigger(TriggerRequest.of("meta::public", null)).asText()).isEqualTo("meta");
  }

  @Test
  void voidAndEnqueueCallsAreCheckedToo() throws Exception {
    List<JsonNode> reached = new CopyOnWriteArrayList<>();
    trusted.registerFunction("private::sink", (data, ctx) -> reached.add(data));
    TestSupport.sync(trusted);
    Iii admin = connect(rbacUrl(), "admin");
    admin.trigger(TriggerRequest.of("private::sink", Map.of()).withAction(TriggerAction.Void()));
    assertThatThrownBy(() -> admin.trigger(TriggerRequest.of("private::sink", Map.of()).withAction(TriggerAction.Enqueue("q"))))
        .isInstanceOfSatisfying(IiiException.class, e -> assertThat(e.code()).isEqualTo("FORBIDDEN"));
    admin.trigger(TriggerRequest.of("pub::echo", Map.of())); // the void call was handled before this one
    assertThat(reached).isEmpty();
  }

  @Test
  void aSessionListsAndDescribesOnlyWhatItMayCall() throws Exception {
    Iii admin = connect(rbacUrl(), "admin");
    List<String> ids = new java.util.ArrayList<>();
    admin.trigger(TriggerRequest.of("engine::functions::list", Map.of())).get("functions").forEach(f -> ids.add(f.get("function_id").asText()));
    assertThat(ids).contains("pub::echo", "meta::public", "tier::gold", "private::allowed-one")
        .doesNotContain("private::secret", "tier::silver", "test::auth");
    List<String> all = new java.util.ArrayList<>();
    trusted.trigger(TriggerRequest.of("engine::functions::list", Map.of())).get("functions").forEach(f -> all.add(f.get("function_id").asText()));
    assertThat(all).contains("private::secret", "test::auth");
  }

  // ------------------------------------------------------------------ middleware

  @Test
  void theMiddlewareTakesEveryNonEngineCallAndAnswersForIt() throws Exception {
    Iii worker = connect(engine.workerUrls().get(2), null);
    JsonNode result = worker.trigger(TriggerRequest.of("pub::echo", Map.of("x", 1)));
    assertThat(result.at("/echoed/x").asInt()).isEqualTo(1);
    assertThat(result.at("/echoed/_intercepted").asBoolean()).isTrue();
    JsonNode seen = middlewareCalls.get(0);
    assertThat(seen.get("function_id").asText()).isEqualTo("pub::echo");
    assertThat(seen.get("payload")).isEqualTo(Json.mapper().readTree("{\"x\":1}")); // as sent: no _caller_worker_id
    assertThat(seen.get("action").isNull()).isTrue();
    assertThat(seen.get("context")).isEqualTo(Json.object());

    worker.trigger(TriggerRequest.of("pub::echo", Map.of()).withAction(TriggerAction.Enqueue("clicks")));
    assertThat(middlewareCalls.get(1).get("action")).isEqualTo(Json.mapper().readTree("{\"type\":\"enqueue\",\"queue\":\"clicks\"}"));

    worker.trigger(TriggerRequest.of("engine::functions::list", Map.of()));
    assertThat(middlewareCalls).hasSize(2); // engine:: calls bypass the middleware
  }

  // ------------------------------------------------------------------ registrations

  @Test
  void functionRegistrationsPassTheFlagAndTheHookWhichMayRenameThem() throws Exception {
    Iii restricted = connect(rbacUrl(), "restricted");
    restricted.registerFunction("restricted::fn", (d, c) -> "no");
    Iii admin = connect(rbacUrl(), "admin");
    admin.registerFunction("denied::fn", (d, c) -> "no");
    admin.registerFunction("rename::fn", (d, c) -> "renamed handler");
    admin.registerFunction("pub::admin-fn", (d, c) -> "admin's");
    TestSupport.sync(trusted);
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.core().function("pub::admin-fn").isPresent());

    assertThat(engine.core().function("restricted::fn")).isEmpty();
    assertThat(engine.core().function("denied::fn")).isEmpty();
    assertThat(engine.core().function("rename::fn")).isEmpty();
    assertThat(trusted.trigger(TriggerRequest.of("renamed::fn", null)).asText()).isEqualTo("renamed handler");
    JsonNode hookInput = hookCalls.stream().filter(h -> h.path("function_id").asText().equals("rename::fn")).findFirst().orElseThrow();
    assertThat(hookInput.get("context")).isEqualTo(Json.mapper().readTree("{\"user\":\"admin\"}"));
  }

  @Test
  void aRegistrationWaitingForItsHookStillPrecedesTheCallsBehindIt() throws Exception {
    Iii admin = connect(rbacUrl(), "admin");
    admin.registerFunction("slow::fn", (d, c) -> "registered in time");
    assertThat(admin.trigger(TriggerRequest.of("slow::fn", null)).asText()).isEqualTo("registered in time");
  }

  @Test
  void thePrefixIsAddedOnRegistrationStrippedOnInvocationAndHonouredOnUnregister() throws Exception {
    Iii tenant = connect(rbacUrl(), "prefixed");
    FunctionRef ref = tenant.registerFunction("echo", (d, c) -> Map.of("local", true, "got", d));
    tenant.registerTrigger(io.linkly.iii.sdk.TriggerBinding.of("subscribe", "echo", Map.of("topic", "t")));
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.core().function("tenant-a::echo").isPresent());
    assertThat(trusted.trigger(TriggerRequest.of("tenant-a::echo", Map.of("m", 1))).at("/got/m").asInt()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10))
        .until(() -> engine.core().triggerBindings().stream().anyMatch(b -> b.functionId().equals("tenant-a::echo")));

    ref.unregister();
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.core().function("tenant-a::echo").isEmpty());
    assertThatThrownBy(() -> trusted.trigger(TriggerRequest.of("tenant-a::echo", null)))
        .isInstanceOfSatisfying(IiiException.class, e -> assertThat(e.code()).isEqualTo("function_not_found"));
  }

  @Test
  void triggerTypesNeedTheFlagAndTheHook() throws Exception {
    Iii restricted = connect(rbacUrl(), "restricted");
    restricted.registerTriggerType("restricted-tt::x", "no flag", new NoopTriggerType());
    Iii admin = connect(rbacUrl(), "admin");
    admin.registerTriggerType("denied-tt::x", "the hook says no", new NoopTriggerType());
    admin.registerTriggerType("ok-tt::x", "fine", new NoopTriggerType());
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.core().triggerType("ok-tt::x").isPresent());
    TestSupport.sync(trusted);
    assertThat(engine.core().triggerType("restricted-tt::x")).isEmpty();
    assertThat(engine.core().triggerType("denied-tt::x")).isEmpty();
    JsonNode hookInput = hookCalls.stream().filter(h -> h.path("trigger_type_id").asText().equals("ok-tt::x")).findFirst().orElseThrow();
    assertThat(hookInput.get("description").asText()).isEqualTo("fine");
  }

  @Test
  void triggersNeedAnAllowedTypeAndTheHook() throws Exception {
    Iii restricted = connect(rbacUrl(), "restricted");
    restricted.registerTrigger(io.linkly.iii.sdk.TriggerBinding.of("subscribe", "meta::public", Map.of("topic", "t")));
    Iii admin = connect(rbacUrl(), "admin");
    admin.registerTrigger(io.linkly.iii.sdk.TriggerBinding.of("subscribe", "denied-trig::fn", Map.of("topic", "t")));
    admin.registerTrigger(io.linkly.iii.sdk.TriggerBinding.of("subscribe", "pub::echo", Map.of("topic", "t")));
    await().atMost(Duration.ofSeconds(10)).until(() -> bindingsTo("pub::echo") == 1);
    TestSupport.sync(trusted);
    assertThat(bindingsTo("meta::public")).isZero();
    assertThat(bindingsTo("denied-trig::fn")).isZero();
    JsonNode hookInput = hookCalls.stream().filter(h -> h.path("function_id").asText().equals("pub::echo")).findFirst().orElseThrow();
    assertThat(hookInput.get("trigger_type").asText()).isEqualTo("subscribe");
    assertThat(hookInput.at("/config/topic").asText()).isEqualTo("t");
  }

  @Test
  void aSessionCannotRemoveAnotherWorkersTrigger() throws Exception {
    trusted.registerTrigger(io.linkly.iii.sdk.TriggerBinding.of("subscribe", "pub::echo", Map.of("topic", "mine")));
    await().atMost(Duration.ofSeconds(10)).until(() -> bindingsTo("pub::echo") == 1);
    String id = engine.core().triggerBindings().stream().filter(b -> b.functionId().equals("pub::echo")).findFirst().orElseThrow().id();
    RawSocket socket = RawSocket.open(rbacUrl() + "/", Map.of("x-token", "admin"));
    socket.next();
    socket.send("{\"type\":\"unregistertrigger\",\"id\":\"" + id + "\"}");
    socket.send("{\"type\":\"invokefunction\",\"invocation_id\":\"" + java.util.UUID.randomUUID() + "\",\"function_id\":\"pub::echo\",\"data\":{}}");
    assertThat(socket.next().get("type").asText()).isEqualTo("invocationresult"); // the unregister was handled before
    assertThat(bindingsTo("pub::echo")).isEqualTo(1);
    socket.close();
  }

  private long bindingsTo(String functionId) {
    return engine.core().triggerBindings().stream().map(TriggerBinding::functionId).filter(functionId::equals).count();
  }

  private static final class NoopTriggerType implements TriggerTypeHandler {
    @Override
    public void registerTrigger(TriggerConfig config) {}

    @Override
    public void unregisterTrigger(TriggerConfig config) {}
  }

  /** A bare WebSocket client: custom query strings, and frames the SDK would hide. */
  private static final class RawSocket implements WebSocket.Listener {
    final LinkedBlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;

    static RawSocket open(String url, Map<String, String> headers) throws Exception {
      RawSocket raw = new RawSocket();
      WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder();
      headers.forEach(builder::header);
      raw.socket = builder.buildAsync(URI.create(url), raw).get(10, TimeUnit.SECONDS);
      return raw;
    }

    JsonNode next() throws InterruptedException {
      JsonNode frame = frames.poll(10, TimeUnit.SECONDS);
      assertThat(frame).as("a frame from the engine").isNotNull();
      return frame;
    }

    void send(String text) {
      socket.sendText(text, true).join();
    }

    void close() {
      socket.abort();
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          frames.add(Json.mapper().readTree(partial.toString()));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.completeExceptionally(error);
    }
  }
}
