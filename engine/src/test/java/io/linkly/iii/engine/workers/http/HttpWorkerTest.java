package io.linkly.iii.engine.workers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** iii-http over real sockets: routing, the request object, responses, errors, limits, CORS. */
class HttpWorkerTest {

  private IiiEngine engine;
  private Worker functions;
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-http", "default_timeout", Json.mapper().getNodeFactory().numberNode(1000)));
    functions = engine.core().registerBuiltinWorker("test-functions");
  }

  @AfterEach
  void stop() {
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

  private Optional<String> route(String id, String method, String path, String function, String extraConfig) {
    ObjectNode config = (ObjectNode) parse("{\"api_path\":\"" + path + "\",\"http_method\":\"" + method + "\"" + extraConfig + "}");
    return engine.core().registerTrigger(new TriggerBinding(id, "http", function, config, null, null));
  }

  private static JsonNode parse(String json) {
    try {
      return Json.mapper().readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private String base() {
    return "http://127.0.0.1:" + engine.port("iii-http").orElseThrow();
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void handlerSeesUpstreamsRequestObjectAndShapesTheResponse() throws Exception {
    AtomicReference<JsonNode> seen = new AtomicReference<>();
    function("links::get", call -> {
      seen.set(call.data());
      return parse("{\"status_code\":201,\"headers\":{\"x-test\":\"yes\"},\"body\":{\"ok\":true}}");
    });
    assertThat(route("r1", "post", "links/:code", "links::get", "")).isEmpty();

    HttpResponse<String> response =
        send(HttpRequest.newBuilder(URI.create(base() + "/links/hello%20world?q=a%20b&q=c"))
            .header("Content-Type", "application/json")
            .header("X-Custom", "v")
            .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"https://iii.dev\"}")));

    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(response.headers().firstValue("x-test")).hasValue("yes");
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(parse(response.body())).isEqualTo(parse("{\"ok\":true}"));
    JsonNode request = seen.get();
    assertThat(request.get("path").asText()).as("the pattern as registered").isEqualTo("links/:code");
    assertThat(request.get("method").asText()).isEqualTo("POST");
    assertThat(request.get("path_params").get("code").asText()).isEqualTo("hello%20world");
    assertThat(request.get("query_params").get("q").asText()).isEqualTo("a b");
    assertThat(request.get("headers").get("x-custom").asText()).isEqualTo("v");
    assertThat(request.get("body").get("url").asText()).isEqualTo("https://iii.dev");
    assertThat(request.get("trigger")).isEqualTo(parse("{\"type\":\"http\",\"path\":\"links/:code\",\"method\":\"POST\"}"));
    assertThat(request.get("remote_addr").asText()).as("our addition: the client's IP, no port").isEqualTo("127.0.0.1");
  }

  @Test
  void redirectsListHeadersRawBodiesAndDefaults() throws Exception {
    function("r::redirect", call -> parse("{\"status_code\":302,\"headers\":[\"Location: https://iii.dev\"]}"));
    function("r::text", call -> parse("{\"headers\":{\"Content-Type\":\"text/plain\"},\"body\":\"hi there\"}"));
    function("r::plain", call -> parse("{\"ok\":true}"));
    function("r::nonjson", call -> parse("{\"body\":null}").deepCopy());
    route("a", "GET", "/go", "r::redirect", "");
    route("b", "GET", "/text", "r::text", "");
    route("c", "GET", "/plain", "r::plain", "");
    HttpClient noFollow = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    HttpResponse<String> redirect = noFollow.send(HttpRequest.newBuilder(URI.create(base() + "/go")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(redirect.statusCode()).isEqualTo(302);
    assertThat(redirect.headers().firstValue("location")).hasValue("https://iii.dev");
    HttpResponse<String> text = send(HttpRequest.newBuilder(URI.create(base() + "/text")));
    assertThat(text.body()).isEqualTo("hi there");
    assertThat(text.headers().firstValue("content-type")).hasValue("text/plain");
    HttpResponse<String> plain = send(HttpRequest.newBuilder(URI.create(base() + "/plain")));
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.body()).as("no body key means {}").isEqualTo("{}");
  }

  @Test
  void routeMissesAndHandlerErrorsUseTheErrorEnvelope() throws Exception {
    function("r::boom", call -> {
      throw new InvocationException("invocation_failed", "boom");
    });
    route("a", "GET", "/boom", "r::boom", "");
    route("b", "GET", "/missing-fn", "no::such", "");

    HttpResponse<String> miss = send(HttpRequest.newBuilder(URI.create(base() + "/nowhere")));
    assertThat(miss.statusCode()).isEqualTo(404);
    assertThat(parse(miss.body())).isEqualTo(parse("{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"Not Found\"}}"));

    HttpResponse<String> boom = send(HttpRequest.newBuilder(URI.create(base() + "/boom")));
    assertThat(boom.statusCode()).isEqualTo(500);
    JsonNode error = parse(boom.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("invocation_failed");
    assertThat(error.get("message").asText()).isEqualTo("boom");
    assertThat(error.get("error_id").asText()).matches("[0-9a-f]+");

    HttpResponse<String> noFn = send(HttpRequest.newBuilder(URI.create(base() + "/missing-fn")));
    assertThat(parse(noFn.body()).get("error").get("code").asText()).isEqualTo("function_not_found");

    HttpResponse<String> wrongMethod = send(HttpRequest.newBuilder(URI.create(base() + "/boom")).DELETE());
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(parse(wrongMethod.body()).get("error").get("code").asText()).isEqualTo("METHOD_NOT_ALLOWED");
  }

  @Test
  void aHandlerThatNeverAnswersGets504AfterTheTimeout() throws Exception {
    // a handler that answers while its request waits gets its answer through: no early 504
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    CountDownLatch called = new CountDownLatch(1);
    engine.core().registerFunction(functions, FunctionDefinition.of("r::late", "answers once called"), call -> {
      called.countDown();
      return answer;
    });
    route("b", "GET", "/late", "r::late", "");
    CompletableFuture<HttpResponse<String>> late =
        client.sendAsync(HttpRequest.newBuilder(URI.create(base() + "/late")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(called.await(10, TimeUnit.SECONDS)).isTrue();
    answer.complete(parse("{\"body\":{\"late\":true}}"));
    HttpResponse<String> answered = late.get(10, TimeUnit.SECONDS);
    assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);
    assertThat(parse(answered.body())).isEqualTo(parse("{\"late\":true}"));

    engine.core().registerFunction(functions, FunctionDefinition.of("r::hang", "never"), call -> new CompletableFuture<>());
    route("a", "GET", "/hang", "r::hang", "");
    HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base() + "/hang")));
    assertThat(response.statusCode()).isEqualTo(504);
    JsonNode error = parse(response.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("GATEWAY_TIMEOUT");
    assertThat(error.get("message").asText()).contains("1000 ms");
  }

  @Test
  void conditionFalseIs422AndAnythingElseRunsTheHandler() throws Exception {
    function("r::handler", call -> parse("{\"body\":{\"ran\":true}}"));
    function("r::deny", call -> Json.mapper().getNodeFactory().booleanNode(false));
    function("r::allow", call -> null);
    route("a", "GET", "/denied", "r::handler", ",\"condition_function_id\":\"r::deny\"");
    route("b", "GET", "/allowed", "r::handler", ",\"condition_function_id\":\"r::allow\"");
    HttpResponse<String> denied = send(HttpRequest.newBuilder(URI.create(base() + "/denied")));
    assertThat(denied.statusCode()).isEqualTo(422);
    assertThat(parse(denied.body()).get("error").get("code").asText()).isEqualTo("CONDITION_NOT_MET");
    assertThat(parse(denied.body()).get("skipped").asBoolean()).isTrue();
    HttpResponse<String> allowed = send(HttpRequest.newBuilder(URI.create(base() + "/allowed")));
    assertThat(parse(allowed.body()).get("ran").asBoolean()).isTrue();
  }

  @Test
  void routeMiddlewareCanRespondOrContinue() throws Exception {
    function("r::handler", call -> parse("{\"body\":{\"ran\":true}}"));
    AtomicReference<JsonNode> seen = new AtomicReference<>();
    function("mw::pass", call -> {
      seen.set(call.data());
      return parse("{\"action\":\"continue\"}");
    });
    function("mw::block", call -> parse("{\"action\":\"respond\",\"response\":{\"status_code\":401,\"body\":{\"error\":\"no\"}}}"));
    route("a", "GET", "/open", "r::handler", ",\"middleware_function_ids\":[\"mw::pass\"]");
    route("b", "GET", "/closed", "r::handler", ",\"middleware_function_ids\":[\"mw::pass\",\"mw::block\"]");
    assertThat(send(HttpRequest.newBuilder(URI.create(base() + "/open"))).statusCode()).isEqualTo(200);
    assertThat(seen.get().path("request").path("remote_addr").asText()).isEqualTo("127.0.0.1");
    HttpResponse<String> closed = send(HttpRequest.newBuilder(URI.create(base() + "/closed")));
    assertThat(closed.statusCode()).isEqualTo(401);
    assertThat(parse(closed.body()).get("error").asText()).isEqualTo("no");
  }

  @Test
  void anOversizedBodyGets413WithAJsonError() throws Exception {
    function("r::sink", call -> parse("{}"));
    route("a", "POST", "/sink", "r::sink", "");
    byte[] big = new byte[1024 * 1024 + 1];
    HttpResponse<String> response =
        send(HttpRequest.newBuilder(URI.create(base() + "/sink"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(big)));
    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(parse(response.body()).get("error").get("code").asText()).isEqualTo("PAYLOAD_TOO_LARGE");
  }

  @Test
  void corsIsPermissiveByDefault() throws Exception {
    function("r::x", call -> parse("{}"));
    route("a", "POST", "/x", "r::x", "");
    HttpResponse<String> preflight =
        send(HttpRequest.newBuilder(URI.create(base() + "/x"))
            .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
            .header("Origin", "http://localhost:5173")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type"));
    assertThat(preflight.statusCode()).isEqualTo(200);
    assertThat(preflight.headers().firstValue("access-control-allow-origin")).hasValue("*");
    assertThat(preflight.headers().firstValue("access-control-allow-methods")).hasValue("POST");
    assertThat(preflight.headers().firstValue("access-control-allow-headers")).hasValue("content-type");
    HttpResponse<String> actual =
        send(HttpRequest.newBuilder(URI.create(base() + "/x")).header("Origin", "http://localhost:5173").POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(actual.headers().firstValue("access-control-allow-origin")).hasValue("*");
  }

  @Test
  void keepAliveServesPipelinedRequestsInOrder() throws Exception {
    // r::echo answers on another thread, so the first request is still in flight when the rest arrive
    engine.core().registerFunction(functions, FunctionDefinition.of("r::echo", "slow echo"), BuiltinFunction.blocking(
        java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor(),
        call -> { sleepQuietly(50); return parse("{\"body\":{\"n\":\"" + call.data().get("query_params").get("n").asText() + "\"}}"); }));
    route("a", "GET", "/echo", "r::echo", "");
    try (Socket socket = new Socket("127.0.0.1", engine.port("iii-http").orElseThrow())) {
      OutputStream out = socket.getOutputStream();
      out.write(("GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
              + "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
              + "GET /echo?n=3 HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      assertThat(readBody(in)).isEqualTo("200 {\"n\":\"1\"}");
      assertThat(readBody(in)).startsWith("404 ");
      assertThat(readBody(in)).isEqualTo("200 {\"n\":\"3\"}");
    }
  }

  private static String readBody(BufferedReader in) throws Exception {
    String line;
    int length = 0;
    String status = in.readLine().substring(9, 12);
    while (!(line = in.readLine()).isEmpty()) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    char[] body = new char[length];
    int read = 0;
    while (read < length) {
      read += in.read(body, read, length - read);
    }
    return status + " " + new String(body);
  }

  @Test
  void aThousandRoutesAllResolveAndUnregisterRemovesOne() throws Exception {
    function("r::n", call -> parse("{\"body\":" + Json.write(call.data().get("path_params")) + "}"));
    for (int i = 0; i < 1000; i++) {
      route("route-" + i, "GET", "/api/v1/items" + i + "/:id", "r::n", "");
    }
    for (int i : new int[] {0, 499, 999}) {
      HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base() + "/api/v1/items" + i + "/abc")));
      assertThat(parse(response.body()).get("id").asText()).isEqualTo("abc");
    }
    engine.core().unregisterTrigger("route-499");
    assertThat(send(HttpRequest.newBuilder(URI.create(base() + "/api/v1/items499/abc"))).statusCode()).isEqualTo(404);
  }

  @Test
  void staticSegmentsBeatParametersAndConflictsAreRejected() throws Exception {
    function("r::static", call -> parse("{\"body\":\"static\",\"headers\":{\"content-type\":\"text/plain\"}}"));
    function("r::param", call -> parse("{\"body\":\"param\",\"headers\":{\"content-type\":\"text/plain\"}}"));
    route("a", "GET", "/users/:id", "r::param", "");
    route("b", "GET", "/users/me", "r::static", "");
    assertThat(send(HttpRequest.newBuilder(URI.create(base() + "/users/me"))).body()).isEqualTo("static");
    assertThat(send(HttpRequest.newBuilder(URI.create(base() + "/users/42"))).body()).isEqualTo("param");
    assertThat(route("c", "GET", "/users/:name", "r::param", "")).hasValueSatisfying(m -> assertThat(m).contains("conflicts"));
  }

  @Test
  void aRemoteWorkerBindsARouteOverTheWireAndHearsAboutConflicts() throws Exception {
    try (RawWorker worker = RawWorker.connect(engine.workerUrl())) {
      worker.send("{\"type\":\"registerfunction\",\"id\":\"w::hello\"}");
      worker.send("{\"type\":\"registertrigger\",\"id\":\"t1\",\"trigger_type\":\"http\",\"function_id\":\"w::hello\",\"config\":{\"api_path\":\"hello/:who\"}}");
      worker.send("{\"type\":\"registertrigger\",\"id\":\"t2\",\"trigger_type\":\"http\",\"function_id\":\"w::hello\",\"config\":{\"api_path\":\"hello/:name\"}}");
      JsonNode rejected = worker.next("triggerregistrationresult");
      assertThat(rejected.get("id").asText()).isEqualTo("t2");
      assertThat(rejected.get("error").get("code").asText()).isEqualTo("trigger_registration_failed");
      assertThat(rejected.get("error").get("message").asText()).contains("conflict");

      CompletableFuture<HttpResponse<String>> pending =
          client.sendAsync(HttpRequest.newBuilder(URI.create(base() + "/hello/ann")).build(), HttpResponse.BodyHandlers.ofString());
      JsonNode call = worker.next("invokefunction");
      assertThat(call.get("data").get("path_params").get("who").asText()).isEqualTo("ann");
      assertThat(call.get("data").has("_caller_worker_id")).isFalse();
      worker.send("{\"type\":\"invocationresult\",\"invocation_id\":\"" + call.get("invocation_id").asText()
          + "\",\"function_id\":\"w::hello\",\"result\":{\"body\":{\"hi\":\"ann\"}}}");
      assertThat(parse(pending.get().body()).get("hi").asText()).isEqualTo("ann");

      worker.close();
      await().untilAsserted(
          () -> assertThat(send(HttpRequest.newBuilder(URI.create(base() + "/hello/ann"))).statusCode()).isEqualTo(404));
    }
  }


  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
