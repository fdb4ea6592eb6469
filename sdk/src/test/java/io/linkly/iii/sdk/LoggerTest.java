package io.linkly.iii.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.protocol.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Logger lines reach the engine's log store, and logging never throws, over each link. */
@ParameterizedClass
@EnumSource(TestSupport.Link.class)
class LoggerTest {

  @Parameter TestSupport.Link link;

  private IiiEngine engine;
  private Iii worker;

  @AfterEach
  void stop() {
    if (worker != null) {
      worker.shutdown();
    }
    if (engine != null) {
      engine.close();
    }
  }

  @Test
  void logLinesAreForwardedToTheEngine() throws Exception {
    engine = TestSupport.startEngine(EngineConfig.ephemeral());
    worker = TestSupport.worker(engine, "logging-worker", link);
    String marker = "sdk-log-" + UUID.randomUUID() + " ";

    Logger log = worker.logger();
    log.info(marker + "clicked", Map.of("clicks", 3));
    log.warn(marker + "a warning without data");
    log.error(marker + "an error", Map.of("code", "E1"));
    log.debug(marker + "a debug line", null);
    worker.logger("custom.name").info(marker + "named logger line");
    log.info(marker + "unmappable data still logs", new Object() {
      @SuppressWarnings("unused")
      public Object getSelf() {
        return this;
      }
    });

    List<JsonNode> stored =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> findLogs(marker), found -> found.size() >= 6);
    List<String> lines = stored.stream()
        .map(e -> e.path("severity_text").asText() + " " + e.path("severity_number").asInt() + " "
            + e.path("body").asText().substring(marker.length()) + " " + (e.path("attributes").has("log.data") ? Json.write(e.path("attributes").get("log.data")) : "-")
            + " " + e.path("service_name").asText())
        .toList();
    assertThat(lines).containsExactlyInAnyOrder(
        "INFO 9 clicked {\"clicks\":3} logging-worker",
        "WARN 13 a warning without data - logging-worker",
        "ERROR 17 an error {\"code\":\"E1\"} logging-worker",
        "DEBUG 5 a debug line - logging-worker",
        "INFO 9 named logger line - logging-worker",
        "INFO 9 unmappable data still logs - logging-worker");
  }

  @Test
  void aLineLoggedWhileServingACallIsFiledUnderItsFunction() throws Exception {
    engine = TestSupport.startEngine(EngineConfig.ephemeral());
    worker = TestSupport.worker(engine, "logging-worker", link);
    String marker = "sdk-log-" + UUID.randomUUID() + " ";
    worker.registerFunction("logging::a b", (data, ctx) -> {
      worker.logger().info(marker + "inside");
      return Map.of();
    });
    worker.trigger(TriggerRequest.of("logging::a b", Map.of()));
    worker.logger().info(marker + "outside");

    List<JsonNode> stored = await().atMost(Duration.ofSeconds(20)).until(() -> findLogs(marker), found -> found.size() >= 2);
    assertThat(stored)
        .extracting(e -> e.path("body").asText().substring(marker.length()) + " " + e.path("attributes").path("iii.function.id").asText("-"))
        .containsExactlyInAnyOrder("inside logging::a b", "outside -");
    JsonNode filtered = worker.trigger(TriggerRequest.of("engine::logs::list", Map.of("function_id", "logging::a b")));
    assertThat(filtered.get("logs")).extracting(e -> e.path("body").asText()).containsExactly(marker + "inside");
  }

  private List<JsonNode> findLogs(String marker) {
    JsonNode result = worker.trigger(TriggerRequest.of("engine::logs::list", Map.of()));
    List<JsonNode> found = new ArrayList<>();
    for (JsonNode entry : result == null ? Json.mapper().createArrayNode() : result.path("logs")) {
      if (entry.path("body").asText().startsWith(marker)) {
        found.add(entry);
      }
    }
    return found;
  }
}
