package io.linkly.iii.engine.workers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.testing.LogCapture;
import io.linkly.iii.protocol.Json;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * iii-http follows its stored configuration (BUILTINS.md §9.1): CORS, timeout and middleware
 * changes apply to the next request on a connection already open; a port change binds the new
 * port first and lets the old one's connections finish; a port that cannot be bound keeps the old
 * listener; a stored port that cannot be bound at the next start falls back to config.yaml's.
 */
class HttpConfigurationTest {

  @TempDir Path dir;

  private IiiEngine engine;
  /** What t::slow answers, once the test completes it. */
  private final CompletableFuture<JsonNode> slowAnswer = new CompletableFuture<>();

  @AfterEach
  void stop() {
    slowAnswer.complete(null);
    if (engine != null) {
      engine.close();
    }
  }

  private EngineConfig config() {
    ObjectNode adapter = Json.object().put("name", "fs");
    adapter.putObject("config").put("directory", dir.resolve("config").toString());
    return EngineConfig.ephemeral().withSetting("configuration", "adapter", adapter);
  }

  private IiiEngine start(EngineConfig config) throws Exception {
    engine = IiiEngine.start(config);
    Worker functions = engine.core().registerBuiltinWorker("test-functions");
    engine.core().registerFunction(functions, FunctionDefinition.of("t::hello", "test"),
        BuiltinFunction.sync(call -> parse("{\"status_code\":200,\"body\":{\"hello\":true}}")));
    engine.core().registerFunction(functions, FunctionDefinition.of("t::stop", "test middleware"),
        BuiltinFunction.sync(call -> parse("{\"action\":\"respond\",\"response\":{\"status_code\":403,\"body\":{\"stopped\":true}}}")));
    engine.core().registerFunction(functions, FunctionDefinition.of("t::slow", "test"), call -> slowAnswer);
    ObjectNode route = Json.object().put("api_path", "hello").put("http_method", "GET");
    assertThat(engine.core().registerTrigger(new TriggerBinding("hello", "http", "t::hello", route, null, null))).isEmpty();
    ObjectNode slow = Json.object().put("api_path", "slow").put("http_method", "GET");
    assertThat(engine.core().registerTrigger(new TriggerBinding("slow", "http", "t::slow", slow, null, null))).isEmpty();
    return engine;
  }

  private int port() {
    return engine.port("iii-http").orElseThrow();
  }

  private void set(String value) throws Exception {
    JsonNode answer = engine.core().invoke(Call.of("configuration::set", parse("{\"id\":\"iii-http\",\"value\":" + value + "}")))
        .get(10, TimeUnit.SECONDS);
    assertThat(answer.has("new_value")).as("configuration::set answered %s", answer).isTrue();
  }

  private static JsonNode parse(String json) {
    try {
      return Json.mapper().readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static RawHttp.Response get(RawHttp connection, String origin) throws Exception {
    return connection.send("GET /hello HTTP/1.1\r\nHost: x\r\nOrigin: " + origin + "\r\n\r\n").read();
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void corsAndMiddlewareChangesReachAnOpenConnection_onTheSamePort() throws Exception {
    start(config());
    int port = port();
    try (LogCapture logs = new LogCapture(); RawHttp connection = RawHttp.connect(port)) {
      assertThat(get(connection, "https://b.example").header("access-control-allow-origin")).isEqualTo("*");

      set("{\"port\":0,\"cors\":{\"allowed_origins\":[\"https://a.example\"]}}");
      await().until(() -> !logs.containing("iii-http: configuration applied").isEmpty());
      RawHttp.Response refused = get(connection, "https://b.example");
      assertThat(refused.status()).isEqualTo(200);
      assertThat(refused.header("access-control-allow-origin")).as("b.example is no longer allowed").isNull();
      assertThat(get(connection, "https://a.example").header("access-control-allow-origin")).isEqualTo("https://a.example");

      set("{\"port\":0,\"middleware\":[{\"function_id\":\"t::stop\",\"phase\":\"preHandler\"}]}");
      await().untilAsserted(() -> assertThat(get(connection, "https://a.example").status()).isEqualTo(403));
      assertThat(port()).as("the listener was not touched").isEqualTo(port);
    }
  }

  @Test
  void aPortChangeBindsTheNewPortFirstAndTheOldOnesConnectionsFinishTheirRequestsThenClose() throws Exception {
    start(config());
    int old = port();
    int next = freePort();
    try (LogCapture logs = new LogCapture(); RawHttp kept = RawHttp.connect(old); RawHttp busy = RawHttp.connect(old)) {
      assertThat(get(kept, "o").status()).isEqualTo(200);
      busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
      await().until(() -> engine.channels().openCount() > 0); // the slow request is being served
      set("{\"port\":" + next + "}");
      await().until(() -> port() == next);
      assertThat(kept.closedByServer()).as("the idle keep-alive connection to the old port was closed").isTrue();
      slowAnswer.complete(parse("{\"status_code\":200,\"body\":{\"slow\":true}}"));
      RawHttp.Response finished = busy.read();
      assertThat(finished.status()).as("the request in progress during the move was answered").isEqualTo(200);
      assertThat(finished.body()).contains("slow");
      assertThat(busy.closedByServer()).isTrue();
      assertThatThrownBy(() -> RawHttp.connect(old).close()).isInstanceOf(ConnectException.class);
      try (RawHttp moved = RawHttp.connect(next)) {
        assertThat(get(moved, "o").status()).isEqualTo(200);
      }
      assertThat(logs.containing("iii-http: moved to http://127.0.0.1:" + next)).hasSize(1);
    }
  }

  @Test
  void aPortThatCannotBeBoundKeepsTheOldListener() throws Exception {
    start(config());
    int port = port();
    try (LogCapture logs = new LogCapture(); ServerSocket taken = new ServerSocket(0)) {
      set("{\"port\":" + taken.getLocalPort() + "}");
      await().until(() -> !logs.containing("iii-http: configuration change could not be applied, keeping the previous settings").isEmpty());
      assertThat(port()).isEqualTo(port);
      try (RawHttp connection = RawHttp.connect(port)) {
        assertThat(get(connection, "o").status()).isEqualTo(200);
      }
    }
  }

  @Test
  void aStoredPortTakenAtTheNextStartFallsBackToConfigYamlsAndTheStoredValueStays() throws Exception {
    int stored = freePort();
    start(config());
    set("{\"port\":" + stored + "}");
    await().until(() -> port() == stored);
    engine.close();
    engine = null;

    try (ServerSocket taken = new ServerSocket(stored); LogCapture logs = new LogCapture()) {
      start(config());
      assertThat(port()).isNotEqualTo(stored);
      assertThat(logs.containing("the stored address 127.0.0.1:" + stored + " cannot be bound")).hasSize(1);
      try (RawHttp connection = RawHttp.connect(port())) {
        assertThat(get(connection, "o").status()).isEqualTo(200);
      }
      JsonNode value = engine.core().invoke(Call.of("configuration::get", parse("{\"id\":\"iii-http\"}"))).get(10, TimeUnit.SECONDS);
      assertThat(value.get("value").get("port").asInt()).as("the stored port is kept for the next start").isEqualTo(stored);
    }
  }

  @Test
  void aPlaceholderInConfigYamlIsStoredAsWritten_soTheNextStartFollowsTheEnvironment() throws Exception {
    String text = """
        workers:
          - name: iii-worker-manager
            config:
              port: 0
          - name: configuration
            config:
              adapter:
                name: fs
                config:
                  directory: %s
          - name: iii-http
            config:
              port: ${TEST_HTTP_PORT:0}
        """.formatted(dir.resolve("config"));
    int first = freePort();
    start(EngineConfig.parse(text, Map.of("TEST_HTTP_PORT", Integer.toString(first))::get));
    assertThat(port()).isEqualTo(first);
    assertThat(Files.readString(dir.resolve("config/iii-http.yaml"))).contains("${TEST_HTTP_PORT:0}");
    engine.close();
    engine = null;

    int second = freePort();
    start(EngineConfig.parse(text, Map.of("TEST_HTTP_PORT", Integer.toString(second))::get));
    assertThat(port()).as("the stored value's placeholder, expanded at this start").isEqualTo(second);
  }

  @Test
  void aSettingTheSchemaRefusesNeverReachesTheWorker() throws Exception {
    start(config());
    JsonNode answer = engine.core().invoke(Call.of("configuration::set", parse("{\"id\":\"iii-http\",\"value\":{\"prot\":1}}")))
        .handle((ok, failure) -> failure == null ? ok : Json.toTree(io.linkly.iii.engine.core.InvocationException.bodyOf(failure)))
        .get(10, TimeUnit.SECONDS);
    assertThat(answer.path("code").asText()).isEqualTo("SCHEMA_INVALID");
  }
}
