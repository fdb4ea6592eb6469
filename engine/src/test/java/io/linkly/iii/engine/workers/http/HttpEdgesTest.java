package io.linkly.iii.engine.workers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * iii-http at its edges, over raw sockets: malformed and oversized requests get JSON errors with
 * the right status, HEAD follows GET, slow or idle clients are cut off, pipelining has a limit,
 * and headers go out as ASCII.
 */
class HttpEdgesTest {

  private IiiEngine engine;
  private Worker functions;

  private void start(Map<String, Object> httpSettings) throws Exception {
    EngineConfig config = EngineConfig.ephemeral();
    for (Map.Entry<String, Object> setting : httpSettings.entrySet()) {
      config = config.withSetting("iii-http", setting.getKey(), Json.toTree(setting.getValue()));
    }
    engine = IiiEngine.start(config);
    functions = engine.core().registerBuiltinWorker("test-functions");
  }

  @AfterEach
  void stop() {
    if (engine == null) {
      return;
    }
    try {
      // every request's request_body and response channels went with it
      await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engine.channels().openCount()).isZero());
    } finally {
      engine.close();
    }
  }

  private void function(String id, BuiltinFunction.SyncBody body) {
    engine.core().registerFunction(functions, FunctionDefinition.of(id, "test"), BuiltinFunction.sync(body));
  }

  private void route(String id, String method, String path, String function) {
    ObjectNode config = Json.object().put("api_path", path).put("http_method", method);
    assertThat(engine.core().registerTrigger(new TriggerBinding(id, "http", function, config, null, null))).isEmpty();
  }

  private int port() {
    return engine.port("iii-http").orElseThrow();
  }

  private RawHttp connect() throws Exception {
    return RawHttp.connect(port());
  }

  private static JsonNode parse(String json) {
    try {
      return Json.mapper().readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  // ------------------------------------------------------------------ headers go out as ASCII

  @Test
  void nonAsciiInALocationIsPercentEncodedAsUtf8AndAnIdnHostBecomesPunycode() throws Exception {
    start(Map.of());
    ObjectNode wiki = Json.object().put("status_code", 302);
    wiki.putObject("headers").put("Location", "https://ja.wikipedia.org/wiki/日本").put("X-Note", "café");
    ObjectNode idn = Json.object().put("status_code", 302);
    idn.putObject("headers").put("Location", "https://bücher.example/straße?q=é#ü");
    function("r::wiki", call -> wiki);
    function("r::idn", call -> idn);
    route("a", "GET", "/wiki", "r::wiki");
    route("b", "GET", "/idn", "r::idn");
    try (RawHttp http = connect()) {
      RawHttp.Response response = http.send("GET /wiki HTTP/1.1\r\nHost: x\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(302);
      assertThat(response.header("location")).isEqualTo("https://ja.wikipedia.org/wiki/%E6%97%A5%E6%9C%AC");
      assertThat(response.header("x-note"))
          .as("any other header's non-ASCII value goes out as UTF-8 bytes (read here as ISO-8859-1)")
          .isEqualTo(new String("café".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
      assertThat(http.send("GET /idn HTTP/1.1\r\nHost: x\r\n\r\n").read().header("location"))
          .isEqualTo("https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%A9#%C3%BC");
    }
  }

  // ------------------------------------------------------------------ malformed requests

  @Test
  void aMalformedPercentEscapeIs400WithAJsonError() throws Exception {
    start(Map.of());
    function("r::ok", call -> parse("{\"body\":{\"ok\":true}}"));
    route("a", "GET", "/s/:code", "r::ok");
    for (String target : new String[] {"/s/iii?a=%zz", "/s/%zz", "/s/%e6%97"}) {
      try (RawHttp http = connect()) {
        RawHttp.Response response = http.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n").read();
        assertThat(response.status()).as(target).isEqualTo(400);
        assertThat(response.errorCode()).as(target).isEqualTo("BAD_REQUEST");
        assertThat(response.json().path("error").path("message").asText()).as(target).contains("percent-escape");
      }
    }
  }

  @Test
  void staticSegmentsMatchPercentEncodedPaths() throws Exception {
    start(Map.of());
    function("r::static", call -> parse("{\"body\":{\"static\":true}}"));
    route("a", "GET", "/s/iii", "r::static");
    try (RawHttp http = connect()) {
      RawHttp.Response response = http.send("GET /s/%69%69%69 HTTP/1.1\r\nHost: x\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.json().path("static").asBoolean()).isTrue();
    }
  }

  @Test
  void aTooLongUriIs414AndTooLargeHeadersAre431() throws Exception {
    start(Map.of());
    try (RawHttp http = connect()) {
      RawHttp.Response response = http.send("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(414);
      assertThat(response.errorCode()).isEqualTo("URI_TOO_LONG");
      assertThat(http.closedByServer()).isTrue();
    }
    try (RawHttp http = connect()) {
      RawHttp.Response response = http.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(431);
      assertThat(response.errorCode()).isEqualTo("HEADERS_TOO_LARGE");
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void aGarbledRequestIs400WithAJsonError() throws Exception {
    start(Map.of());
    try (RawHttp http = connect()) {
      RawHttp.Response response = http.send("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(400);
      assertThat(response.errorCode()).isEqualTo("BAD_REQUEST");
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void anUnservedMethodIs405WithAllowAndAJsonError() throws Exception {
    start(Map.of());
    function("r::ok", call -> parse("{}"));
    route("a", "GET", "/thing", "r::ok");
    route("b", "PUT", "/thing", "r::ok");
    try (RawHttp http = connect()) {
      RawHttp.Response response = http.send("DELETE /thing HTTP/1.1\r\nHost: x\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(405);
      assertThat(response.errorCode()).isEqualTo("METHOD_NOT_ALLOWED");
      assertThat(response.header("allow")).isEqualTo("GET, HEAD, PUT");
      assertThat(http.send("GET /thing HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).as("the connection stays usable").isEqualTo(200);
    }
  }

  @Test
  void expectContinueGets100Or413OrFor417AnUnknownExpectation() throws Exception {
    start(Map.of("max_body_bytes", 1000));
    function("r::sink", call -> parse("{\"body\":{\"got\":" + Json.write(call.data().get("body")) + "}}"));
    route("a", "POST", "/sink", "r::sink");
    try (RawHttp http = connect()) {
      String head = "POST /sink HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n";
      assertThat(http.send(head + "Content-Length: 2\r\n\r\n").read().status()).isEqualTo(100);
      assertThat(http.send("{}").read().json()).isEqualTo(parse("{\"got\":{}}"));
      RawHttp.Response tooLarge = http.send(head + "Content-Length: 5000\r\n\r\n").read();
      assertThat(tooLarge.status()).isEqualTo(413);
      assertThat(tooLarge.errorCode()).isEqualTo("PAYLOAD_TOO_LARGE");
    }
    try (RawHttp http = connect()) {
      RawHttp.Response response =
          http.send("POST /sink HTTP/1.1\r\nHost: x\r\nExpect: a-pony\r\nContent-Length: 2\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(417);
      assertThat(response.errorCode()).isEqualTo("EXPECTATION_FAILED");
    }
  }

  @Test
  void malformedJsonIsNullForTheHandlerWhichAlsoHearsWhy() throws Exception {
    start(Map.of());
    AtomicReference<JsonNode> seen = new AtomicReference<>();
    function("r::sink", call -> {
      seen.set(call.data());
      return parse("{}");
    });
    route("a", "POST", "/sink", "r::sink");
    HttpResponse<String> response =
        HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/sink"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"url\":"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(seen.get().get("body").isNull()).as("upstream's body for invalid JSON").isTrue();
    assertThat(seen.get().path("body_error").asText()).startsWith("request body is not valid JSON");
  }

  // ------------------------------------------------------------------ HEAD

  @Test
  void headIsServedByTheGetRouteWithTheSameHeadersAndNoBody() throws Exception {
    start(Map.of());
    AtomicReference<String> method = new AtomicReference<>();
    function("r::page", call -> {
      method.set(call.data().path("method").asText());
      return parse("{\"status_code\":302,\"headers\":{\"Location\":\"https://iii.dev\"},\"body\":{\"n\":12345}}");
    });
    route("a", "GET", "/page", "r::page");
    try (RawHttp http = connect()) {
      RawHttp.Response get = http.send("GET /page HTTP/1.1\r\nHost: x\r\n\r\n").read();
      RawHttp.Response head = http.send("HEAD /page HTTP/1.1\r\nHost: x\r\n\r\n").read(true);
      assertThat(head.status()).isEqualTo(302);
      assertThat(head.header("location")).isEqualTo("https://iii.dev");
      assertThat(head.header("content-length")).isEqualTo(get.header("content-length"));
      assertThat(head.header("content-type")).isEqualTo(get.header("content-type"));
      assertThat(method.get()).as("the handler learns it was a HEAD").isEqualTo("HEAD");
      // had the HEAD response carried a body, this would read it instead of the next response
      assertThat(http.send("GET /page HTTP/1.1\r\nHost: x\r\n\r\n").read().json()).isEqualTo(parse("{\"n\":12345}"));
      RawHttp.Response missing = http.send("HEAD /nowhere HTTP/1.1\r\nHost: x\r\n\r\n").read(true);
      assertThat(missing.status()).isEqualTo(404);
    }
  }

  // ------------------------------------------------------------------ timeouts

  @Test
  void halfAHeaderGets408AndTheConnectionCloses() throws Exception {
    start(Map.of("header_timeout_ms", 200));
    try (RawHttp http = connect()) {
      RawHttp.Response response = http.send("GET /x HTTP/1.1\r\nHost: x\r\n").read();
      assertThat(response.status()).isEqualTo(408);
      assertThat(response.errorCode()).isEqualTo("REQUEST_TIMEOUT");
      assertThat(response.json().path("error").path("message").asText()).contains("headers");
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void halfABodyGets408AndTheConnectionCloses() throws Exception {
    start(Map.of("body_timeout_ms", 200));
    function("r::sink", call -> parse("{}"));
    route("a", "POST", "/sink", "r::sink");
    try (RawHttp http = connect()) {
      RawHttp.Response response = http.send("POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc").read();
      assertThat(response.status()).isEqualTo(408);
      assertThat(response.errorCode()).isEqualTo("REQUEST_TIMEOUT");
      assertThat(response.json().path("error").path("message").asText()).contains("body");
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void anIdleConnectionIsClosedQuietly() throws Exception {
    start(Map.of("idle_timeout_ms", 200));
    function("r::ok", call -> parse("{}"));
    route("a", "GET", "/ok", "r::ok");
    try (RawHttp http = connect()) {
      assertThat(http.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
      assertThat(http.closedByServer()).isTrue();
    }
    try (RawHttp silent = connect()) {
      assertThat(silent.closedByServer()).as("a connection that never sends anything").isTrue();
    }
  }

  @Test
  void timeoutsAreCheckedAtStart() {
    for (String key : new String[] {"idle_timeout_ms", "header_timeout_ms", "body_timeout_ms", "max_pipelined_requests"}) {
      EngineConfig config = EngineConfig.ephemeral().withSetting("iii-http", key, Json.toTree(0));
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> IiiEngine.start(config).close())
          .as(key)
          .hasMessageContaining(key);
    }
  }

  // ------------------------------------------------------------------ pipelining

  @Test
  void theFirstRequestPastThePipeliningLimitGets429AndTheConnectionCloses() throws Exception {
    start(Map.of("max_pipelined_requests", 3));
    AtomicInteger calls = new AtomicInteger();
    CompletableFuture<JsonNode> gate = new CompletableFuture<>();
    engine.core().registerFunction(functions, FunctionDefinition.of("r::n", "first call waits"), call -> {
      JsonNode reply = parse("{\"body\":{\"n\":" + call.data().path("query_params").path("n").asText() + "}}");
      return calls.incrementAndGet() == 1 ? gate.thenApply(x -> reply) : CompletableFuture.completedFuture(reply);
    });
    route("a", "GET", "/n", "r::n");
    try (RawHttp http = connect()) {
      StringBuilder requests = new StringBuilder();
      for (int n = 1; n <= 6; n++) {
        requests.append("GET /n?n=").append(n).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
      }
      http.send(requests.toString());
      await().until(() -> calls.get() == 1);
      gate.complete(null);
      for (int n = 1; n <= 4; n++) {
        RawHttp.Response response = http.read();
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("n").asInt()).isEqualTo(n);
      }
      RawHttp.Response refused = http.read();
      assertThat(refused.status()).isEqualTo(429);
      assertThat(refused.errorCode()).isEqualTo("TOO_MANY_PIPELINED_REQUESTS");
      assertThat(refused.header("connection")).isEqualTo("close");
      assertThat(http.closedByServer()).isTrue();
    }
    assertThat(calls.get()).as("nothing past the limit ran").isEqualTo(4);
  }

  @Test
  void twoHundredPipelinedRequestsAreAnsweredUpToTheDefaultLimitThenRefusedOutLoud() throws Exception {
    // Netty's own depth check used to drop the connection at 128 with no answer and no log line
    start(Map.of());
    function("r::n", call -> parse("{\"body\":{\"n\":" + call.data().path("query_params").path("n").asText() + "}}"));
    route("a", "GET", "/n", "r::n");
    try (RawHttp http = connect()) {
      StringBuilder requests = new StringBuilder();
      for (int n = 1; n <= 200; n++) {
        requests.append("GET /n?n=").append(n).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
      }
      http.send(requests.toString().getBytes(StandardCharsets.US_ASCII));
      // the first is in flight while the rest are read, so the default number wait behind it
      for (int n = 1; n <= HttpConfig.DEFAULT_MAX_PIPELINED_REQUESTS + 1; n++) {
        assertThat(http.read().json().path("n").asInt()).isEqualTo(n);
      }
      assertThat(http.read().status()).isEqualTo(429);
      assertThat(http.closedByServer()).isTrue();
    }
  }
}
