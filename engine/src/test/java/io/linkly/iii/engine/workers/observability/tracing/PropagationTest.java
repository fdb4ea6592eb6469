package io.linkly.iii.engine.workers.observability.tracing;

import static io.linkly.iii.engine.workers.observability.tracing.TraceWorker.spanId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.protocol.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every hop of a click keeps the trace: HTTP, function → function, queue, pubsub, stream trigger. */
class PropagationTest {

  @TempDir Path dir;
  private ClickPath path;

  @AfterEach
  void stop() {
    if (path != null) {
      path.close();
    }
  }

  private JsonNode engineCall(String function, String data) throws Exception {
    return path.engine.core().invoke(Call.of(function, Json.mapper().readTree(data))).get(5, TimeUnit.SECONDS);
  }

  private static String attribute(JsonNode span, String key) {
    for (JsonNode pair : span.get("attributes")) {
      if (pair.get(0).asText().equals(key)) {
        return pair.get(1).asText();
      }
    }
    return null;
  }

  private static List<String> names(JsonNode nodes) {
    List<String> out = new ArrayList<>();
    nodes.forEach(n -> out.add(n.get("name").asText()));
    return out;
  }

  private static JsonNode child(JsonNode node, String name) {
    for (JsonNode c : node.get("children")) {
      if (c.get("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no child " + name + " under " + node.get("name") + ": " + names(node.get("children")));
  }

  @Test
  void aRedirectsWholePathIsOneTrace() throws Exception {
    path = new ClickPath(dir, Json.object());
    String trace = path.click("iii", null);

    // 9 spans: the request, 5 worker functions, the enqueue and its engine::queue::enqueue, publish, stream::set
    await().until(() -> engineCall("engine::traces::list", "{\"trace_id\":\"" + trace + "\",\"search_all_spans\":true,\"include_internal\":true}")
        .get("total").asInt() == 10);
    JsonNode roots = engineCall("engine::traces::tree", "{\"trace_id\":\"" + trace + "\"}").get("roots");
    assertThat(names(roots)).containsExactly("GET /s/:code");
    JsonNode request = roots.get(0);
    assertThat(request.get("parent_span_id").isNull()).isTrue();
    assertThat(attribute(request, "http.response.status_code")).isEqualTo("302");
    assertThat(attribute(request, "http.route")).isEqualTo("/s/:code");
    assertThat(attribute(request, "url.path")).isEqualTo("/s/iii");

    JsonNode handler = child(request, "http::redirect");
    assertThat(names(handler.get("children"))).containsExactly("link::resolve", "link::record_click");
    JsonNode enqueue = child(handler, "link::record_click");
    assertThat(attribute(enqueue, "iii.action")).isEqualTo("enqueue");
    assertThat(attribute(enqueue, "iii.queue")).isEqualTo("clicks");
    JsonNode delivery = child(enqueue, "link::record_click");
    assertThat(attribute(delivery, "iii.action")).isEqualTo("sync");
    JsonNode publish = child(delivery, "publish");
    JsonNode broadcast = child(publish, "click-streamer::broadcast");
    JsonNode set = child(broadcast, "stream::set");
    child(set, "ui::on_click");

    // the list shows the request as the trace's one root
    JsonNode listed = engineCall("engine::traces::list", "{\"name\":\"GET /s/:code\",\"limit\":1}");
    assertThat(listed.get("spans").get(0).get("trace_id").asText()).isEqualTo(trace);
  }

  @Test
  void aClientsTraceparentHeaderParentsTheRequest() throws Exception {
    path = new ClickPath(dir, Json.object());
    String trace = path.click("iii", TracingTest.TRACEPARENT);
    assertThat(trace).isEqualTo(TracingTest.TRACE);
    await().until(() -> engineCall("engine::traces::list", "{\"trace_id\":\"" + trace + "\"}").get("total").asInt() == 1);
    JsonNode request = engineCall("engine::traces::list", "{\"trace_id\":\"" + trace + "\"}").get("spans").get(0);
    assertThat(request.get("name").asText()).isEqualTo("GET /s/:code");
    assertThat(request.get("parent_span_id").asText()).isEqualTo(TracingTest.PARENT);
  }

  @Test
  void withTracingOffTheClientsContextStillReachesEveryHop() throws Exception {
    path = new ClickPath(dir, Json.object().put("enabled", false));
    String trace = path.click("iii", TracingTest.TRACEPARENT);
    assertThat(trace).isEqualTo(TracingTest.TRACE);
    // nothing made spans: every hop got the client's header as it was
    assertThat(path.hops).allSatisfy(h -> assertThat(spanId(h)).isEqualTo(TracingTest.PARENT));
  }
}
