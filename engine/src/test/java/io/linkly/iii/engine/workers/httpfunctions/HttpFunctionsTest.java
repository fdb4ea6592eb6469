package io.linkly.iii.engine.workers.httpfunctions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.LogCapture;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.engine.workers.BuiltinWorkers;
import io.linkly.iii.engine.workers.httpfunctions.Endpoint.Answer;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.Uuids;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * iii-http-functions from the outside: a raw worker registers a function backed by a real HTTP
 * endpoint on 127.0.0.1, another calls it, and the endpoint sees what upstream sends and the
 * caller gets what upstream answers (BUILTINS.md §10). No traffic leaves 127.0.0.1: the cases
 * about other addresses are refused before anything is sent.
 */
class HttpFunctionsTest {

  /** What the happy paths run with: plain http to loopback allowed. */
  private static final String PERMISSIVE = "{\"security\":{\"require_https\":false,\"block_private_ips\":false}}";

  private static final Map<String, String> ENV =
      Map.of("HOOK_SECRET", "s3cret", "HOOK_TOKEN", "tok-123", "HOOK_KEY", "key-456");

  private IiiEngine engine;
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  private void start(String config) throws Exception {
    BuiltinWorkers catalogue =
        BuiltinWorkers.standard().register(HttpFunctionsWorker.NAME, e -> HttpFunctionsWorker.fromConfig(e, ENV::get), false);
    engine =
        IiiEngine.start(
            EngineConfig.ephemeral().with(HttpFunctionsWorker.NAME, Json.mapper().readTree(config)), catalogue, Clock.systemUTC());
  }

  private <T extends AutoCloseable> T opened(T c) {
    open.add(c);
    return c;
  }

  private Endpoint endpoint() throws Exception {
    return opened(new Endpoint());
  }

  private RawWorker worker() throws Exception {
    return opened(RawWorker.connect(engine.workerUrl()));
  }

  private LogCapture logs() {
    return opened(new LogCapture());
  }

  private static ObjectNode invocation(String url) {
    return Json.object().put("url", url);
  }

  private static void register(RawWorker owner, String id, ObjectNode invocation) {
    ObjectNode frame = Json.object().put("type", "registerfunction").put("id", id).put("description", "an HTTP function");
    frame.set("invocation", invocation);
    owner.send(Json.write(frame));
  }

  private void registered(RawWorker owner, String id, ObjectNode invocation) {
    register(owner, id, invocation);
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.core().function(id).isPresent());
  }

  /** The registration was refused with {@code reason} (logged, the worker is not told) and nothing exists. */
  private void refused(LogCapture logs, RawWorker owner, String id, ObjectNode invocation, String reason) {
    register(owner, id, invocation);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> logs.containing("may not register function " + id + ":").stream().anyMatch(m -> m.endsWith(reason)));
    assertThat(engine.core().function(id)).isEmpty();
  }

  private static JsonNode payload() {
    return Json.object().put("hello", "world").put("count", 1);
  }

  // ------------------------------------------------------------------ the request

  @Test
  void callsTheEndpointWithTheDataAsJsonAndUpstreamsHeaders() throws Exception {
    start(PERMISSIVE);
    Endpoint endpoint = endpoint().answer("/hook", Answer.json(200, "{\"greeting\":\"hi\",\"n\":[1,2]}"));
    RawWorker owner = worker();
    RawWorker caller = worker();
    ObjectNode invocation = invocation(endpoint.url("/hook")).put("timeout_ms", 3000);
    invocation.set("headers", Json.object().put("X-Custom-Header", "test-value").put("X-Another", "123"));
    registered(owner, "hooks::greet", invocation);

    long before = System.currentTimeMillis() / 1000;
    JsonNode answer = caller.call("hooks::greet", payload());
    long after = System.currentTimeMillis() / 1000;

    assertThat(answer.has("error")).as(answer.toString()).isFalse();
    assertThat(answer.get("result")).isEqualTo(Json.mapper().readTree("{\"greeting\":\"hi\",\"n\":[1,2]}"));
    Endpoint.Request request = endpoint.next();
    assertThat(request.method()).isEqualTo("POST"); // the default
    assertThat(request.path()).isEqualTo("/hook");
    JsonNode body = Json.mapper().readTree(request.body());
    assertThat(body.get("hello").asText()).isEqualTo("world");
    assertThat(body.get("count").asInt()).isEqualTo(1);
    assertThat(body.get("_caller_worker_id").asText()).isEqualTo(caller.workerId()); // as any handler sees it
    assertThat(request.header("Content-Type")).isEqualTo("application/json");
    assertThat(request.header("x-iii-Function-Path")).isEqualTo("hooks::greet");
    assertThat(Uuids.parseStrict(request.header("x-iii-Invocation-ID"))).isNotNull();
    assertThat(Long.parseLong(request.header("x-iii-Timestamp"))).isBetween(before, after);
    assertThat(request.header("x-custom-header")).isEqualTo("test-value");
    assertThat(request.header("x-another")).isEqualTo("123");
    assertThat(request.header("x-iii-Signature")).isNull();
    assertThat(request.header("Authorization")).isNull();

    // each call has an invocation id of its own
    caller.call("hooks::greet", payload());
    assertThat(endpoint.next().header("x-iii-Invocation-ID")).isNotEqualTo(request.header("x-iii-Invocation-ID"));
  }

  @Test
  void usesTheRegisteredMethodAndStillSendsTheBody() throws Exception {
    start(PERMISSIVE);
    Endpoint endpoint = endpoint();
    RawWorker owner = worker();
    RawWorker caller = worker();
    for (String method : List.of("GET", "POST", "PUT", "PATCH", "DELETE")) {
      String id = "hooks::" + method.toLowerCase();
      registered(owner, id, invocation(endpoint.url("/m")).put("method", method));
      assertThat(caller.call(id, payload()).get("result").get("ok").asBoolean()).isTrue();
      Endpoint.Request request = endpoint.next();
      assertThat(request.method()).isEqualTo(method);
      assertThat(Json.mapper().readTree(request.body()).get("hello").asText()).isEqualTo("world");
    }
  }

  // ------------------------------------------------------------------ credentials

  @Test
  void signsWithHmacSoTheEndpointCanVerifyTheBodyAndTime() throws Exception {
    start(PERMISSIVE);
    Endpoint endpoint = endpoint();
    RawWorker owner = worker();
    RawWorker caller = worker();
    ObjectNode invocation = invocation(endpoint.url("/signed"));
    invocation.set("auth", Json.object().put("type", "hmac").put("secret_key", "HOOK_SECRET"));
    registered(owner, "hooks::signed", invocation);

    caller.call("hooks::signed", payload());

    Endpoint.Request request = endpoint.next();
    // what an endpoint does to verify: HMAC-SHA256(secret, "<timestamp>:<base64(raw body)>")
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec("s3cret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String signed = request.header("x-iii-Timestamp") + ":" + Base64.getEncoder().encodeToString(request.body());
    String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
    assertThat(request.header("x-iii-Signature")).isEqualTo(expected);
  }

  @Test
  void sendsBearerTokensAndApiKeysFromTheEnvironment() throws Exception {
    start(PERMISSIVE);
    Endpoint endpoint = endpoint();
    RawWorker owner = worker();
    RawWorker caller = worker();
    ObjectNode bearer = invocation(endpoint.url("/bearer"));
    bearer.set("auth", Json.object().put("type", "bearer").put("token_key", "HOOK_TOKEN"));
    registered(owner, "hooks::bearer", bearer);
    ObjectNode apiKey = invocation(endpoint.url("/key"));
    apiKey.set("auth", Json.object().put("type", "api_key").put("header", "x-api-key").put("value_key", "HOOK_KEY"));
    registered(owner, "hooks::key", apiKey);

    caller.call("hooks::bearer", payload());
    assertThat(endpoint.next().header("Authorization")).isEqualTo("Bearer tok-123");
    caller.call("hooks::key", payload());
    assertThat(endpoint.next().header("x-api-key")).isEqualTo("key-456");
  }

  @Test
  void aCredentialWhoseVariableIsNotSetRefusesTheRegistration() throws Exception {
    start(PERMISSIVE);
    LogCapture logs = logs();
    Endpoint endpoint = endpoint();
    RawWorker owner = worker();
    ObjectNode hmac = invocation(endpoint.url("/x"));
    hmac.set("auth", Json.object().put("type", "hmac").put("secret_key", "NO_SUCH_SECRET"));
    refused(logs, owner, "hooks::hmac", hmac, "secret_not_found: Secret not found: NO_SUCH_SECRET");
    ObjectNode bearer = invocation(endpoint.url("/x"));
    bearer.set("auth", Json.object().put("type", "bearer").put("token_key", "NO_SUCH_TOKEN"));
    refused(logs, owner, "hooks::bearer", bearer, "token_not_found: Token not found: NO_SUCH_TOKEN");
    ObjectNode apiKey = invocation(endpoint.url("/x"));
    apiKey.set("auth", Json.object().put("type", "api_key").put("header", "x-api-key").put("value_key", "NO_SUCH_KEY"));
    refused(logs, owner, "hooks::key", apiKey, "api_key_not_found: API key not found: NO_SUCH_KEY");
    assertThat(logs.messages()).noneMatch(m -> m.contains("s3cret") || m.contains("tok-123") || m.contains("key-456"));
    assertThat(endpoint.next(Duration.ofMillis(200))).isNull();
  }

  @Test
  void aBlockUpstreamCannotReadIsRefused() throws Exception {
    start(PERMISSIVE);
    LogCapture logs = logs();
    RawWorker owner = worker();
    refused(logs, owner, "hooks::lower", invocation("http://127.0.0.1:1/x").put("method", "post"), "unknown `method` \"post\", expected one of GET, POST, PUT, PATCH, DELETE");
    refused(logs, owner, "hooks::nourl", Json.object().put("method", "POST"), "invalid invocation: missing field `url`");
    ObjectNode badAuth = invocation("http://127.0.0.1:1/x");
    badAuth.set("auth", Json.object().put("type", "basic"));
    refused(logs, owner, "hooks::basic", badAuth, "unknown `auth.type` 'basic', expected hmac, bearer or api_key");
  }

  // ------------------------------------------------------------------ the answer

  @Test
  void mapsEachKindOfAnswerAsUpstreamDoes() throws Exception {
    start(PERMISSIVE);
    Endpoint endpoint =
        endpoint()
            .answer("/no-content", Answer.empty(204))
            .answer("/empty", Answer.empty(200))
            .answer("/null", Answer.json(200, "null"))
            .answer("/not-json", Answer.text(200, "not-json"))
            .answer("/trailing", Answer.json(200, "{\"a\":1} x"))
            .answer("/structured", Answer.json(502, "{\"error\":{\"code\":\"UPSTREAM_ERROR\",\"message\":\"upstream failed\"}}"))
            .answer("/half-structured", Answer.json(400, "{\"error\":{}}"))
            .answer("/plain-500", Answer.text(500, "oops"))
            .answer("/plain-404", Answer.empty(404))
            .answer("/odd-status", Answer.text(599, "?"))
            .answer("/accepted", Answer.json(202, "{\"queued\":true}"));
    RawWorker owner = worker();
    RawWorker caller = worker();
    List<String> paths =
        List.of("/no-content", "/empty", "/null", "/not-json", "/trailing", "/structured", "/half-structured", "/plain-500",
            "/plain-404", "/odd-status", "/accepted");
    for (String path : paths) {
      registered(owner, "answers::" + path.substring(1), invocation(endpoint.url(path)));
    }

    for (String noResult : List.of("/no-content", "/empty", "/null")) {
      JsonNode answer = caller.call("answers::" + noResult.substring(1), payload());
      assertThat(answer.has("error")).as(noResult).isFalse();
      assertThat(answer.path("result").isMissingNode() || answer.get("result").isNull()).as(noResult).isTrue();
    }
    assertThat(caller.call("answers::accepted", payload()).get("result").get("queued").asBoolean()).isTrue();
    assertError(caller.call("answers::not-json", payload()), "invalid_response", null);
    assertError(caller.call("answers::trailing", payload()), "invalid_response", null);
    assertError(caller.call("answers::structured", payload()), "UPSTREAM_ERROR", "upstream failed");
    assertError(caller.call("answers::half-structured", payload()), "http_error", "HTTP request failed");
    assertError(caller.call("answers::plain-500", payload()), "http_error", "HTTP 500 Internal Server Error");
    assertError(caller.call("answers::plain-404", payload()), "http_error", "HTTP 404 Not Found");
    assertError(caller.call("answers::odd-status", payload()), "http_error", "HTTP 599 <unknown status code>");
  }

  private static void assertError(JsonNode answer, String code, String message) {
    assertThat(answer.has("result")).as(answer.toString()).isFalse();
    assertThat(answer.path("error").path("code").asText()).as(answer.toString()).isEqualTo(code);
    if (message != null) {
      assertThat(answer.path("error").path("message").asText()).isEqualTo(message);
    }
  }

  @Test
  void aRedirectIsAnAnswerNotFollowed() throws Exception {
    start(PERMISSIVE);
    Endpoint endpoint =
        endpoint()
            .answer("/moved", Answer.text(302, "<html>moved</html>").withHeader("Location", "/target"))
            .answer("/moved-json", Answer.json(307, "{\"see\":\"/target\"}").withHeader("Location", "/target"));
    RawWorker owner = worker();
    RawWorker caller = worker();
    registered(owner, "hooks::moved", invocation(endpoint.url("/moved")));
    registered(owner, "hooks::moved-json", invocation(endpoint.url("/moved-json")));

    JsonNode html = caller.call("hooks::moved", payload());
    assertThat(html.has("error")).isFalse();
    assertThat(html.has("result")).isFalse(); // a result-less success
    assertThat(caller.call("hooks::moved-json", payload()).get("result").get("see").asText()).isEqualTo("/target");

    assertThat(endpoint.next().path()).isEqualTo("/moved");
    assertThat(endpoint.next().path()).isEqualTo("/moved-json");
    assertThat(endpoint.next(Duration.ofMillis(300))).as("the redirect target is never asked").isNull();
  }

  @Test
  void aSlowEndpointTimesOutAfterTimeoutMs() throws Exception {
    start(PERMISSIVE);
    Endpoint endpoint = endpoint().answer("/slow", Answer.json(200, "{}").after(Duration.ofSeconds(3)));
    RawWorker owner = worker();
    RawWorker caller = worker();
    registered(owner, "hooks::slow", invocation(endpoint.url("/slow")).put("timeout_ms", 300));

    long began = System.nanoTime();
    JsonNode answer = caller.call("hooks::slow", payload());
    long tookMs = (System.nanoTime() - began) / 1_000_000;

    assertError(answer, "http_request_failed", null);
    assertThat(answer.get("error").get("message").asText()).contains("timed out after 300 ms");
    assertThat(tookMs).isLessThan(2_500);
  }

  @Test
  void transportFailuresBeforeAndAfterTheResponseBegins() throws Exception {
    start(PERMISSIVE);
    RawWorker owner = worker();
    RawWorker caller = worker();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    registered(owner, "hooks::refused", invocation("http://127.0.0.1:" + closedPort + "/x"));
    assertError(caller.call("hooks::refused", payload()), "http_request_failed", null);

    // a response that promises 100 bytes and sends 7: the body cannot be read
    ServerSocket truncating = opened(new ServerSocket(0, 10, InetAddress.getLoopbackAddress()));
    Thread.ofVirtual().start(() -> {
      try (Socket s = truncating.accept()) {
        InputStream in = s.getInputStream();
        s.setSoTimeout(5_000);
        in.read(new byte[8192]); // the start of the request is enough to answer
        OutputStream out = s.getOutputStream();
        out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":1,".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        s.shutdownOutput(); // end of stream, not a reset: the client reads the headers, then runs short
        in.readAllBytes(); // until the client gives up on the connection
      } catch (Exception e) {
        // the test fails on the answer instead
      }
    });
    registered(owner, "hooks::truncated", invocation("http://127.0.0.1:" + truncating.getLocalPort() + "/x"));
    assertError(caller.call("hooks::truncated", payload()), "http_response_failed", null);
  }

  // ------------------------------------------------------------------ ownership

  @Test
  void unregisterAndDisconnectWithdrawItAndOnlyItsOwnerCanUnregister() throws Exception {
    start(PERMISSIVE);
    Endpoint endpoint = endpoint();
    RawWorker owner = worker();
    RawWorker other = worker();
    RawWorker caller = worker();
    registered(owner, "hooks::owned", invocation(endpoint.url("/owned")));
    assertThat(caller.call("engine::functions::list", Json.object()).get("result").get("functions").findValuesAsText("function_id"))
        .contains("hooks::owned");

    other.send("{\"type\":\"unregisterfunction\",\"id\":\"hooks::owned\"}");
    Thread.sleep(200);
    assertThat(caller.call("hooks::owned", payload()).get("result").get("ok").asBoolean()).isTrue();

    owner.send("{\"type\":\"unregisterfunction\",\"id\":\"hooks::owned\"}");
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.core().function("hooks::owned").isEmpty());
    assertError(caller.call("hooks::owned", payload()), "function_not_found", "Function hooks::owned not found");

    registered(owner, "hooks::gone", invocation(endpoint.url("/gone")));
    owner.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.core().function("hooks::gone").isEmpty());
    assertError(caller.call("hooks::gone", payload()), "function_not_found", null);
    endpoint.next(); // the one call that went through
    assertThat(endpoint.next(Duration.ofMillis(200))).isNull();
  }

  @Test
  void aBuiltinsIdCannotBeTakenByAnHttpFunction() throws Exception {
    start(PERMISSIVE);
    LogCapture logs = logs();
    Endpoint endpoint = endpoint();
    RawWorker owner = worker();
    RawWorker caller = worker();
    register(owner, "state::get", invocation(endpoint.url("/steal")));
    await().atMost(Duration.ofSeconds(5)).until(() -> !logs.containing("may not register function state::get").isEmpty());
    caller.call("state::get", Json.object().put("scope", "s").put("key", "k"));
    assertThat(endpoint.next(Duration.ofMillis(200))).isNull();
  }

  // ------------------------------------------------------------------ the security policy

  @Test
  void theDefaultsRefuseHttpAndPrivateAddressesBeforeSendingAnything() throws Exception {
    start("{}");
    LogCapture logs = logs();
    Endpoint endpoint = endpoint();
    RawWorker owner = worker();
    refused(logs, owner, "hooks::http", invocation(endpoint.url("/x")), "url_validation_failed: HTTPS is required");
    String loopback = "https://127.0.0.1:" + endpoint.port() + "/x";
    refused(logs, owner, "hooks::loopback", invocation(loopback), "url_validation_failed: Private IP blocked");
    refused(logs, owner, "hooks::mapped", invocation("https://[::ffff:127.0.0.1]:" + endpoint.port() + "/x"),
        "url_validation_failed: Private IP blocked");
    refused(logs, owner, "hooks::v6", invocation("https://[::1]:" + endpoint.port() + "/x"), "url_validation_failed: Private IP blocked");
    // a name is looked up (off the event loop) and judged by its addresses
    refused(logs, owner, "hooks::named", invocation("https://localhost:" + endpoint.port() + "/x"),
        "url_validation_failed: Private IP blocked");
    refused(logs, owner, "hooks::garbage", invocation("not a url"), "url_validation_failed: Invalid URL");
    assertThat(endpoint.next(Duration.ofMillis(200))).isNull();
  }

  @Test
  void theAllowlistMatchesTheHost() throws Exception {
    start("{\"security\":{\"require_https\":false,\"block_private_ips\":false,\"url_allowlist\":[\"api.example.com\"]}}");
    LogCapture logs = logs();
    Endpoint endpoint = endpoint();
    RawWorker owner = worker();
    refused(logs, owner, "hooks::unlisted", invocation(endpoint.url("/x")), "url_validation_failed: URL not in allowlist");
    engine.close();
    engine = null;

    start("{\"security\":{\"require_https\":false,\"block_private_ips\":false,\"url_allowlist\":[\"127.0.0.*\"]}}");
    RawWorker owner2 = worker();
    RawWorker caller = worker();
    registered(owner2, "hooks::listed", invocation(endpoint.url("/listed")));
    assertThat(caller.call("hooks::listed", payload()).get("result").get("ok").asBoolean()).isTrue();
  }

  // ------------------------------------------------------------------ not loaded

  @Test
  void withoutTheWorkerTheRegistrationIsIgnored() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral());
    LogCapture logs = logs();
    Endpoint endpoint = endpoint();
    RawWorker owner = worker();
    RawWorker caller = worker();
    register(owner, "hooks::ignored", invocation(endpoint.url("/x")));
    await().atMost(Duration.ofSeconds(5)).until(() -> !logs.containing("iii-http-functions is not enabled").isEmpty());
    assertError(caller.call("hooks::ignored", payload()), "function_not_found", null);
    assertThat(endpoint.next(Duration.ofMillis(200))).isNull();
  }
}
