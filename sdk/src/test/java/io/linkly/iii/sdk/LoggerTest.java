package io.linkly.iii.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.protocol.Json;
import java.time.Duration;
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
    String marker = "sdk-log-" + UUID.randomUUID();

    Logger log = worker.logger();
    log.info(marker, Map.of("clicks", 3));
    log.warn("a warning without data");
    log.error("an error", Map.of("code", "E1"));
    log.debug("a debug line", null);
    worker.logger("custom.name").info("named logger line");
    log.info("unmappable data still logs", new Object() {
      @SuppressWarnings("unused")
      public Object getSelf() {
        return this;
      }
    });

    JsonNode stored =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> findLog(marker), found -> found != null);
    assertThat(stored.path("service_name").asText()).isEqualTo("logging-worker");
    assertThat(Json.write(stored)).contains("clicks");
  }

  private JsonNode findLog(String marker) {
    JsonNode result = worker.trigger(TriggerRequest.of("engine::logs::list", Map.of()));
    if (result == null) {
      return null;
    }
    for (JsonNode entry : result.path("logs")) {
      if (Json.write(entry).contains(marker)) {
        return entry;
      }
    }
    return null;
  }
}
