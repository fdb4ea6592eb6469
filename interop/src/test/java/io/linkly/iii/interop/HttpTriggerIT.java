package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.TriggerBinding;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code http} triggers bound by an npm iii-sdk@0.22.1 worker and served by iii-http to a real
 * HTTP client (BUILTINS.md §9, PROTOCOL.md §6.4–6.5): the handler gets upstream's request object
 * and shapes the response; a conflicting route is refused through {@code
 * triggerregistrationresult}; an unregistered or orphaned route is gone (404).
 */
class HttpTriggerIT extends InteropTest {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
  private static final String BODY = "{\"msg\":\"hi \\u2713\",\"n\":[1,2.5,null],\"nested\":{\"ok\":true}}";
  private static final String NOT_FOUND = "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"Not Found\"}}";

  /** POSTs JSON to iii-http with a mixed-case custom header. */
  private HttpResponse<String> post(String pathAndQuery, String json) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + builtinPort("iii-http") + pathAndQuery))
            .timeout(WAIT)
            .header("Content-Type", "application/json")
            .header("X-Interop-Token", "Abc-123")
            .POST(BodyPublishers.ofString(json))
            .build();
    return HTTP.send(request, BodyHandlers.ofString());
  }

  private static List<String> names(JsonNode object) {
    return object.properties().stream().map(Map.Entry::getKey).toList();
  }

  private static List<JsonNode> calls(NodeWorker node, String functionId) {
    return node.events("called").stream().filter(e -> e.path("function_id").asText().equals(functionId)).toList();
  }

  @Test
  void nodeRouteAnswersARealRequestAndSeesUpstreamsRequestObject() throws Exception {
    NodeWorker node = node("http-route", "node", Map.of());
    awaitBinding("http", "node::greet");
    int port = builtinPort("iii-http");

    HttpResponse<String> response = post("/greet/ann?x=1", BODY);

    assertThat(response.statusCode()).as("status; body %s\n%s", response.body(), node.describe()).isEqualTo(201);
    assertThat(response.headers().firstValue("X-Greeted-By")).as("handler's header").hasValue("node");
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    assertJson(json(response.body())).isEqualTo(json("{\"greeting\":\"hello ann\",\"x\":\"1\",\"echo\":" + BODY + "}"));

    JsonNode request = node.await("called", e -> e.path("function_id").asText().equals("node::greet")).get("request");
    assertThat(request.get("keys").valueStream().map(JsonNode::asText).toList())
        .as("request object fields\n%s", request)
        .contains("query_params", "path_params", "headers", "path", "method", "body", "trigger");
    // The registered pattern, not the URL path. Upstream passes api_path as written ("greet/:name");
    // a leading slash added by the engine is tolerated here (see the interop report).
    assertThat(request.path("path").asText()).as("path").isIn("greet/:name", "/greet/:name");
    assertJson(request.get("path_params")).isEqualTo(json("{\"name\":\"ann\"}"));
    assertJson(request.get("query_params")).isEqualTo(json("{\"x\":\"1\"}"));
    assertThat(request.path("method").asText()).isEqualTo("POST");
    assertThat(request.path("body_is_undefined").asBoolean()).isFalse();
    assertJson(request.get("body")).as("parsed JSON body").isEqualTo(json(BODY));
    JsonNode headers = request.get("headers");
    assertThat(names(headers)).as("header names").isNotEmpty().allSatisfy(n -> assertThat(n).isEqualTo(n.toLowerCase(Locale.ROOT)));
    assertThat(headers.path("x-interop-token").asText()).isEqualTo("Abc-123");
    assertThat(headers.path("content-type").asText()).isEqualTo("application/json");
    assertThat(headers.path("host").asText()).isEqualTo("127.0.0.1:" + port);
    JsonNode trigger = request.get("trigger");
    assertThat(trigger.path("type").asText()).isEqualTo("http");
    assertThat(trigger.path("method").asText()).isEqualTo("POST");
    assertThat(trigger.path("path").asText()).isEqualTo(request.path("path").asText());

    node.closeStdin();
    assertThat(node.awaitExit(WAIT)).isZero();
    assertThat(calls(node, "node::greet")).as("node::greet calls\n%s", node.describe()).hasSize(1);
  }

  @Test
  void conflictingNodeRouteIsRefusedAndTheSdkLogsTriggerRegistrationFailed() throws Exception {
    NodeWorker node = node("http-route", "node", Map.of());

    JsonNode logged =
        node.await("console-error", e -> e.path("message").asText().contains("Trigger registration failed"));

    String message = logged.path("message").asText();
    // [iii] Trigger registration failed for "<binding id>" (<trigger_type>): <error.message>
    assertThat(message).as("SDK log line").containsPattern("Trigger registration failed for \"[0-9a-f-]{36}\" \\(http\\): ");
    assertThat(message).contains("conflict").contains("greet/:other").contains("greet/:name");
    TriggerBinding greet = awaitBinding("http", "node::greet");
    assertThat(message).as("the refused binding is the second one").doesNotContain(greet.id());
    assertThat(findBinding("http", "node::greet-other")).as("a refused binding is not kept").isEmpty();

    HttpResponse<String> response = post("/greet/bob", "{}");
    assertThat(response.statusCode()).as("the first route still answers; body %s", response.body()).isEqualTo(201);
    assertThat(json(response.body()).path("greeting").asText()).isEqualTo("hello bob");
    node.closeStdin();
    assertThat(node.awaitExit(WAIT)).isZero();
    assertThat(calls(node, "node::greet-other")).as("the refused route never ran\n%s", node.describe()).isEmpty();
    assertThat(node.events("console-error").stream().filter(e -> e.path("message").asText().contains("Trigger registration failed")))
        .as("one refusal\n%s", node.describe())
        .hasSize(1);
  }

  @Test
  void routeIs404OnceTheNodeWorkerUnregistersItsTrigger() throws Exception {
    NodeWorker node = node("http-route", "node", Map.of());
    awaitBinding("http", "node::greet");
    assertThat(post("/greet/cy", "{}").statusCode()).as("served before the unregister").isEqualTo(201);

    node.command("unregister");
    node.await("unregistered");

    await("binding removed").atMost(WAIT).until(() -> findBinding("http", "node::greet").isEmpty());
    HttpResponse<String> gone = post("/greet/cy", "{}");
    assertThat(gone.statusCode()).as("after unregister; body %s", gone.body()).isEqualTo(404);
    assertJson(json(gone.body())).isEqualTo(json(NOT_FOUND));
    assertThat(node.isAlive()).as("the worker is still connected").isTrue();
    assertThat(findWorker(name("node"))).isPresent();
    assertThat(calls(node, "node::greet")).hasSize(1);
  }

  @Test
  void routeIs404OnceTheNodeWorkerIsGone() throws Exception {
    NodeWorker node = node("http-route", "node", Map.of());
    awaitBinding("http", "node::greet");
    assertThat(post("/greet/dee", "{}").statusCode()).as("served while connected").isEqualTo(201);

    node.kill(); // no goodbye: the engine only sees the socket drop

    await("binding removed with its owner").atMost(WAIT).until(() -> findBinding("http", "node::greet").isEmpty());
    HttpResponse<String> gone = post("/greet/dee", "{}");
    assertThat(gone.statusCode()).as("after disconnect; body %s", gone.body()).isEqualTo(404);
    assertJson(json(gone.body())).isEqualTo(json(NOT_FOUND));
  }
}
