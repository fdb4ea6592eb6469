package io.linkly.iii.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A worker outlives its engine: it reconnects to a new one and registers again. */
class ReconnectTest {

  private IiiEngine engine;
  private Iii worker;
  private Iii client;

  @AfterEach
  void stop() {
    for (Iii iii : new Iii[] {client, worker}) {
      if (iii != null) {
        iii.shutdown();
      }
    }
    if (engine != null) {
      engine.close();
    }
  }

  @Test
  void aRestartedEngineGetsTheWorkersFunctionsBack() throws Exception {
    engine = TestSupport.startEngine(EngineConfig.ephemeral());
    int port = engine.workerPort();
    worker = TestSupport.worker(engine, "phoenix");
    worker.registerFunction("phoenix::hello", (data, ctx) -> Map.of("alive", data.path("n").asInt()));
    TestSupport.sync(worker);
    String firstId = worker.workerId();

    engine.close();
    engine = null;
    // made while there is no engine: waits in the queue and is sent after the replay
    CompletableFuture<JsonNode> queued =
        worker.triggerAsync(
            TriggerRequest.of("phoenix::hello", Map.of("n", 1)).withTimeout(Duration.ofSeconds(30)));

    engine = TestSupport.startEngine(EngineConfig.ephemeral().withWorkerPort(port));
    assertThat(queued.get(30, TimeUnit.SECONDS).path("alive").asInt()).isEqualTo(1);
    assertThat(worker.workerId()).isNotEqualTo(firstId);

    client = TestSupport.worker(engine, "phoenix-client");
    JsonNode result =
        await()
            .atMost(Duration.ofSeconds(20))
            .ignoreException(IiiException.class)
            .until(
                () -> client.trigger(TriggerRequest.of("phoenix::hello", Map.of("n", 2))),
                r -> r != null);
    assertThat(result.path("alive").asInt()).isEqualTo(2);
  }
}
