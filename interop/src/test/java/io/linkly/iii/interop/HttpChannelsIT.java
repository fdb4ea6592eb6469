package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * HTTP over data channels with the published {@code iii-sdk@0.22.1} and {@code
 * @iii-dev/helpers/http} (BUILTINS.md §9.3–9.4, PROTOCOL.md §6.5): upstream's six channel cases of
 * {@code api-triggers.test.ts}, re-stated in {@code scenario.mjs upstream-http-channels}, with the
 * values upstream's tests expect.
 */
class HttpChannelsIT extends InteropTest {

  @Test
  void upstreamsHttpChannelCasesPass() {
    NodeWorker node =
        node("upstream-http-channels", "node", Map.of("III_HTTP_URL", "http://127.0.0.1:" + builtinPort("iii-http")));
    List<JsonNode> cases = node.awaitCount("case", 6);
    Map<String, JsonNode> byName = new HashMap<>();
    cases.forEach(c -> byName.put(c.get("name").asText(), c.get("value")));
    assertThat(cases).allSatisfy(c -> assertThat(c.has("error")).as("case %s failed: %s", c.get("name"), c).isFalse());

    JsonNode raw = byName.get("json-raw");
    assertThat(raw.get("status").asInt()).isEqualTo(200);
    assertJson(raw.get("body")).isEqualTo(json("{\"parsed_body\":{\"z\":2,\"a\":1},\"raw_body\":\"{\\\"z\\\":2, \\\"a\\\":1}\"}"));

    JsonNode download = byName.get("download");
    assertThat(download.get("status").asInt()).isEqualTo(200);
    assertThat(download.get("content_type").asText()).isEqualTo("application/pdf");
    assertThat(download.get("size").asInt()).isEqualTo(1_300_000);
    assertThat(download.get("identical").asBoolean()).isTrue();

    JsonNode upload = byName.get("upload");
    assertThat(upload.get("status").asInt()).isEqualTo(200);
    assertThat(upload.get("body").get("received_size").asInt()).isEqualTo(1_300_000);
    assertThat(upload.get("identical").asBoolean()).isTrue();

    JsonNode sse = byName.get("sse");
    assertThat(sse.get("status").asInt()).isEqualTo(200);
    assertThat(sse.get("content_type").asText()).isEqualTo("text/event-stream");
    assertJson(sse.get("events")).isEqualTo(sse.get("expected"));

    JsonNode form = byName.get("urlencoded");
    assertThat(form.get("status").asInt()).isEqualTo(200);
    assertJson(form.get("body")).isEqualTo(json("{\"name\":\"John Doe\",\"email\":\"john@example.com\",\"age\":\"30\"}"));

    JsonNode multipart = byName.get("multipart");
    assertThat(multipart.get("status").asInt()).isEqualTo(200);
    JsonNode parts = multipart.get("body");
    assertThat(parts.get("has_boundary").asBoolean()).isTrue();
    assertThat(parts.get("has_title").asBoolean()).isTrue();
    assertThat(parts.get("has_description").asBoolean()).isTrue();
    assertThat(parts.get("has_filename").asBoolean()).isTrue();
    assertThat(parts.get("body_size").asInt()).isGreaterThan(multipart.get("file_size").asInt());

    assertThat(node.awaitExit(WAIT)).as("node exit\n%s", node.describe()).isZero();
    org.awaitility.Awaitility.await("every channel freed").atMost(WAIT).until(() -> engine.channels().openCount() == 0);
  }
}
