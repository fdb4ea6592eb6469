package io.linkly.iii.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.RawWorker;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Engine-assigned invocation ids, and {@code unregistertriggertype}, over raw sockets. */
class RoutingPromisesTest {

  private IiiEngine engine;

  @BeforeEach
  void start() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral());
  }

  @AfterEach
  void stop() {
    engine.close();
  }

  @Test
  void twoCallersUsingTheSameInvocationIdEachGetTheirOwnAnswer() throws Exception {
    String sameId = "00000000-0000-4000-8000-000000000001";
    try (RawWorker executor = RawWorker.connect(engine.workerUrl());
        RawWorker a = RawWorker.connect(engine.workerUrl());
        RawWorker b = RawWorker.connect(engine.workerUrl())) {
      executor.send("{\"type\":\"registerfunction\",\"id\":\"who::echo\"}");
      await().until(() -> engine.core().function("who::echo").isPresent());
      a.send("{\"type\":\"invokefunction\",\"invocation_id\":\"" + sameId + "\",\"function_id\":\"who::echo\",\"data\":{\"caller\":\"a\"}}");
      b.send("{\"type\":\"invokefunction\",\"invocation_id\":\"" + sameId + "\",\"function_id\":\"who::echo\",\"data\":{\"caller\":\"b\"}}");
      JsonNode first = executor.next("invokefunction", Duration.ofSeconds(10));
      JsonNode second = executor.next("invokefunction", Duration.ofSeconds(10));
      assertThat(first).isNotNull();
      assertThat(second).isNotNull();
      String firstId = first.get("invocation_id").asText();
      String secondId = second.get("invocation_id").asText();
      assertThat(firstId).as("the engine's own ids for the two calls").isNotEqualTo(secondId).isNotEqualTo(sameId);
      assertThat(secondId).isNotEqualTo(sameId);
      // answer in the opposite order, each with the caller it was asked by
      for (JsonNode call : new JsonNode[] {second, first}) {
        executor.send("{\"type\":\"invocationresult\",\"invocation_id\":\"" + call.get("invocation_id").asText()
            + "\",\"function_id\":\"who::echo\",\"result\":{\"answered\":\"" + call.get("data").get("caller").asText() + "\"}}");
      }
      JsonNode toA = a.next(m -> sameId.equals(m.path("invocation_id").asText()), Duration.ofSeconds(10));
      JsonNode toB = b.next(m -> sameId.equals(m.path("invocation_id").asText()), Duration.ofSeconds(10));
      assertThat(toA).as("a's answer").isNotNull();
      assertThat(toB).as("b's answer").isNotNull();
      assertThat(toA.get("result").get("answered").asText()).isEqualTo("a");
      assertThat(toB.get("result").get("answered").asText()).isEqualTo("b");
    }
  }

  @Test
  void unregisterTriggerTypeRemovesTheTypeAndParksItsBindingsForTheNextProvider() throws Exception {
    String binding = "{\"type\":\"registertrigger\",\"id\":\"b1\",\"trigger_type\":\"tt\",\"function_id\":\"c::fn\",\"config\":{}}";
    try (RawWorker consumer = RawWorker.connect(engine.workerUrl());
        RawWorker provider = RawWorker.connect(engine.workerUrl());
        RawWorker stranger = RawWorker.connect(engine.workerUrl())) {
      provider.send("{\"type\":\"registertriggertype\",\"id\":\"tt\",\"description\":\"test type\"}");
      await().until(() -> engine.core().triggerType("tt").isPresent());
      consumer.send(binding);
      assertThat(provider.next("registertrigger").get("id").asText()).isEqualTo("b1");

      // only the owner can withdraw a type: a stranger's unregistertriggertype changes nothing
      stranger.send("{\"type\":\"unregistertriggertype\",\"id\":\"tt\"}");
      stranger.call("engine::functions::list", "{}"); // one socket's frames are handled in order
      assertThat(engine.core().triggerType("tt")).isPresent();
      provider.send("{\"type\":\"unregistertriggertype\",\"id\":\"tt\"}");
      await().until(() -> engine.core().triggerType("tt").isEmpty());
      assertThat(provider.isOpen()).as("the provider stays connected").isTrue();
      assertThat(engine.core().triggerBindings()).filteredOn(b -> b.triggerType().equals("tt")).as("the binding is kept, parked").hasSize(1);

      try (RawWorker next = RawWorker.connect(engine.workerUrl())) {
        next.send("{\"type\":\"registertriggertype\",\"id\":\"tt\",\"description\":\"test type\"}");
        assertThat(next.next("registertrigger").get("id").asText()).isEqualTo("b1");
      }
    }
  }
}
