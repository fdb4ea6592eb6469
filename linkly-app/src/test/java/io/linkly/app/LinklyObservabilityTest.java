package io.linkly.app;

import static io.linkly.app.LinklyFixture.get;
import static io.linkly.app.LinklyFixture.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.protocol.Json;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LINKLY.md Ch. 2, "see it work", on the whole of Linkly as {@code ./linkly} starts it: after five
 * redirects and a 404 the {@code link resolved} lines are in {@code engine::logs::list} with their
 * data, and one redirect's trace holds {@code http::redirect}, {@code link::resolve} and the
 * enqueue of its click in one tree.
 */
class LinklyObservabilityTest {

  @TempDir Path data;

  @Test
  void fiveRedirectsAndA404AreInTheLogsAndEachRedirectIsOneTrace() throws Exception {
    try (Linkly linkly = Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC())) {
      assertThat(post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"seen\"}").statusCode()).isEqualTo(201);
      for (int i = 0; i < 5; i++) {
        assertThat(get(linkly.httpUrl() + "/s/seen").statusCode()).isEqualTo(302);
      }
      assertThat(get(linkly.httpUrl() + "/s/nowhere").statusCode()).isEqualTo(404);

      JsonNode logs = await().atMost(Duration.ofSeconds(20))
          .until(() -> call(linkly, "engine::logs::list", "{\"search\":\"link resolved\"}"), l -> l.get("total").asInt() >= 6);
      List<JsonNode> found = new ArrayList<>();
      List<JsonNode> missing = new ArrayList<>();
      for (JsonNode log : logs.get("logs")) {
        JsonNode line = log.path("attributes").path("log.data");
        (line.path("found").asBoolean() ? found : missing).add(log);
        assertThat(log.get("body").asText()).isEqualTo("link resolved");
        assertThat(log.path("attributes").path("iii.function.id").asText()).isEqualTo("link::resolve");
      }
      assertThat(found).hasSize(5).allSatisfy(l -> assertThat(l.at("/attributes/log.data/code").asText()).isEqualTo("seen"));
      assertThat(missing).hasSize(1).allSatisfy(l -> assertThat(l.at("/attributes/log.data/code").asText()).isEqualTo("nowhere"));

      String trace = found.get(0).get("trace_id").asText();
      assertThat(found).extracting(l -> l.get("trace_id").asText()).as("one trace per redirect").doesNotHaveDuplicates();
      JsonNode roots = await().atMost(Duration.ofSeconds(20))
          .until(() -> call(linkly, "engine::traces::tree", "{\"trace_id\":\"" + trace + "\"}").get("roots"),
              r -> r.size() == 1 && names(r.get(0)).contains("link::record_click"));
      assertThat(roots.get(0).get("name").asText()).isEqualTo("GET /s/:code");
      JsonNode redirect = child(roots.get(0), "http::redirect");
      assertThat(names(redirect)).contains("link::resolve", "link::record_click");
      JsonNode enqueue = child(redirect, "link::record_click");
      assertThat(attribute(enqueue, "iii.action")).isEqualTo("enqueue");
    }
  }

  private static JsonNode call(Linkly linkly, String function, String input) throws Exception {
    return linkly.engine().core().invoke(Call.of(function, Json.mapper().readTree(input))).get(10, TimeUnit.SECONDS);
  }

  /** The names of every span under {@code span}, at any depth. */
  private static List<String> names(JsonNode span) {
    List<String> names = new ArrayList<>();
    span.path("children").forEach(c -> {
      names.add(c.get("name").asText());
      names.addAll(names(c));
    });
    return names;
  }

  private static JsonNode child(JsonNode span, String name) {
    for (JsonNode c : span.path("children")) {
      if (c.get("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no child " + name + " under " + span.get("name") + ": " + span);
  }

  private static String attribute(JsonNode span, String key) {
    for (JsonNode pair : span.get("attributes")) { // [key, value] pairs, as upstream lists them
      if (pair.get(0).asText().equals(key)) {
        return pair.get(1).asText();
      }
    }
    return null;
  }
}
