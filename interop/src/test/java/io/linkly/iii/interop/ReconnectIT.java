package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An npm iii-sdk@0.22.1 worker whose connection is lost comes back and is callable again. */
class ReconnectIT extends InteropTest {

  @Test
  void nodeWorkerReRegistersAfterTheEngineCutsItsSocket() throws Exception {
    NodeWorker node = node("serve", "node", Map.of());
    awaitFunction("node::echo");
    Worker first = awaitWorker("node");
    assertThat(engine.core().function("node::echo").orElseThrow().owner().id()).isEqualTo(first.id());

    first.connection().close("interop test cuts the socket");

    await("node::echo re-registered by a new connection")
        .atMost(WAIT)
        .until(
            () ->
                engine.core().function("node::echo")
                    .map(f -> !f.owner().id().equals(first.id()) && !f.owner().isGone())
                    .orElse(false));
    Worker second = awaitWorker("node");
    assertThat(second.id()).as("a new connection gets a new worker id").isNotEqualTo(first.id());
    assertThat(engine.core().worker(first.id())).as("the cut connection is gone").isEmpty();
    assertThat(node.isAlive()).as("the same Node process reconnected").isTrue();

    Iii java = javaWorker("java");
    JsonNode result = java.trigger(TriggerRequest.of("node::echo", Map.of("after", "reconnect")));
    assertThat(result.path("echo").path("after").asText()).isEqualTo("reconnect");
  }

  @Test
  void nodeWorkerReRegistersWithAnEngineRestartedOnTheSamePort() throws Exception {
    NodeWorker node = node("serve", "node", Map.of());
    awaitFunction("node::echo");
    int port = engine.workerPort();

    engine.close();
    engine = IiiEngine.start(EngineConfig.ephemeral().withWorkerPort(port));

    awaitFunction("node::echo");
    awaitWorker("node");
    assertThat(node.isAlive()).as("the same Node process reconnected").isTrue();
    Iii java = javaWorker("java");
    JsonNode result = java.trigger(TriggerRequest.of("node::echo", Map.of("after", "restart")));
    assertThat(result.path("echo").path("after").asText()).isEqualTo("restart");
  }
}
