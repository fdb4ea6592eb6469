package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.sdk.Iii;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * LINKLY.md Ch. 2 with the npm iii-sdk in the path: an HTTP request served by a Node function that
 * calls a Java function is one trace in {@code engine::traces::tree}, holding the engine's spans
 * of both calls and the spans the Node SDK sent over {@code /otel}.
 */
class TracedRouteIT extends InteropTest {

  @Test
  void aRequestThroughNodeAndJavaIsOneTrace() throws Exception {
    Iii java = javaWorker("java");
    java.registerFunction("java::traced", (data, ctx) -> Map.of("from", "java", "traceparent", String.valueOf(ctx.traceparent())));
    NodeWorker node = node("traced-route", "node", Map.of("OTEL_ENABLED", "true"));
    node.await("ready");
    awaitBinding("http", "node::traced");

    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + builtinPort("iii-http") + "/traced")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    String javaSaw = json(response.body()).at("/answer/traceparent").asText();
    String traceId = javaSaw.split("-")[1];

    List<String> names = new ArrayList<>();
    Set<String> services = new HashSet<>();
    await().atMost(WAIT).untilAsserted(() -> {
      names.clear();
      services.clear();
      JsonNode tree = call("engine::traces::tree", "{\"trace_id\":\"" + traceId + "\"}");
      tree.get("roots").forEach(root -> collect(root, names, services));
      // the Node SDK's spans arrive over /otel in batches, after the request has been answered
      assertThat(names).contains("GET /traced", "node::traced", "java::traced");
      assertThat(services).hasSizeGreaterThan(1);
    });
    assertThat(call("engine::traces::tree", "{\"trace_id\":\"" + traceId + "\"}").get("roots")).as("one root: %s", names).hasSize(1);
  }

  private JsonNode call(String function, String input) throws Exception {
    return engine.core().invoke(Call.of(function, Json.mapper().readTree(input))).get(10, TimeUnit.SECONDS);
  }

  private static void collect(JsonNode span, List<String> names, Set<String> services) {
    names.add(span.get("name").asText());
    services.add(span.path("service_name").asText());
    span.path("children").forEach(child -> collect(child, names, services));
  }
}
