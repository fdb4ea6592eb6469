package io.linkly.app;

import static io.linkly.app.LinklyFixture.get;
import static io.linkly.app.LinklyFixture.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.protocol.Json;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A click the queue refuses is counted and lost; the redirect is answered all the same. */
class ClicksNeverBreakRedirectsTest {

  @TempDir Path data;

  /** Linkly's config with no {@code clicks} queue: every enqueue of a click is refused. */
  private EngineConfig withoutClickQueue() throws Exception {
    EngineConfig config = Linkly.config(LinklyFixture.env(data)::get);
    List<WorkerEntry> entries = new ArrayList<>();
    for (WorkerEntry entry : config.workers()) {
      if (entry.name().equals("iii-queue")) {
        ObjectNode block = ((ObjectNode) entry.config()).deepCopy();
        block.remove("queue_configs");
        entry = new WorkerEntry(entry.name(), block, entry.path());
      }
      entries.add(entry);
    }
    return new EngineConfig(entries);
  }

  @Test
  void aRefusedClickStillRedirectsAndIsCountedWithOneWarning() throws Exception {
    try (Linkly linkly = Linkly.start(withoutClickQueue(), Clock.systemUTC())) {
      assertThat(post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"refused\"}").statusCode()).isEqualTo(201);
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> response = get(linkly.httpUrl() + "/s/refused");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(302);
        assertThat(response.headers().firstValue("location")).hasValue("https://iii.dev");
      }
      assertThat(linkly.droppedClicks()).isEqualTo(3);
      String metrics = get("http://127.0.0.1:" + linkly.engine().workerPort() + "/metrics").body();
      assertThat(metrics.lines()).as("the scrape a Prometheus would see").contains("linkly_clicks_dropped_total 3");
      JsonNode logs =
          await().atMost(Duration.ofSeconds(10))
              .until(
                  () -> linkly.engine().core().invoke(Call.of("engine::logs::list", Json.object())).get(),
                  l -> countDropWarnings(l) > 0);
      assertThat(countDropWarnings(logs)).as("warnings for three dropped clicks").isEqualTo(1);
    }
  }

  private static long countDropWarnings(JsonNode logs) {
    return StreamSupport.stream(logs.path("logs").spliterator(), false)
        .filter(l -> l.path("body").asText().startsWith("clicks dropped"))
        .count();
  }
}
