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

/** Worker-provided trigger types (PROTOCOL.md §6.2) over raw sockets. */
class TriggerTypesTest {

  /** The bindings workers made: without the built-ins' own {@code <id>::config-watch}. */
  private static java.util.List<io.linkly.iii.engine.core.TriggerBinding> userBindings(IiiEngine engine) {
    return engine.core().triggerBindings().stream().filter(b -> !b.id().endsWith("::config-watch")).toList();
  }

  private IiiEngine engine;

  @BeforeEach
  void start() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral());
  }

  @AfterEach
  void stop() {
    engine.close();
  }

  private static final String BINDING =
      "{\"type\":\"registertrigger\",\"id\":\"b1\",\"trigger_type\":\"tt\",\"function_id\":\"c::fn\","
          + "\"config\":{\"tag\":\"test\"},\"metadata\":{\"mm\":2},\"message_type\":\"registertrigger\"}";

  @Test
  void aBindingIsParkedUntilItsTypeAppearsThenDelivered() throws Exception {
    try (RawWorker consumer = RawWorker.connect(engine.workerUrl())) {
      consumer.send(BINDING);
      await().until(() -> userBindings(engine).size() == 1);
      assertThat(consumer.drain(Duration.ofMillis(200))).as("no error ack for a parked binding").isEmpty();
      try (RawWorker provider = RawWorker.connect(engine.workerUrl())) {
        provider.send("{\"type\":\"registertriggertype\",\"id\":\"tt\",\"description\":\"test type\"}");
        JsonNode delivered = provider.next("registertrigger");
        assertThat(delivered.get("id").asText()).isEqualTo("b1");
        assertThat(delivered.get("function_id").asText()).isEqualTo("c::fn");
        assertThat(delivered.get("config").get("tag").asText()).isEqualTo("test");
        assertThat(delivered.get("metadata").get("mm").asInt()).isEqualTo(2);
        assertThat(delivered.has("message_type")).isFalse();
      }
    }
  }

  @Test
  void providerRestartRedeliversTheSameBindingAndOwnerLeavingUnregistersIt() throws Exception {
    RawWorker consumer = RawWorker.connect(engine.workerUrl());
    RawWorker provider = RawWorker.connect(engine.workerUrl());
    provider.send("{\"type\":\"registertriggertype\",\"id\":\"tt\",\"description\":\"test type\"}");
    await().until(() -> engine.core().triggerType("tt").isPresent());
    consumer.send(BINDING);
    assertThat(provider.next("registertrigger").get("id").asText()).isEqualTo("b1");

    provider.abort();
    await().until(() -> engine.core().triggerType("tt").isEmpty());
    try (RawWorker again = RawWorker.connect(engine.workerUrl())) {
      again.send("{\"type\":\"registertriggertype\",\"id\":\"tt\",\"description\":\"test type\"}");
      assertThat(again.next("registertrigger").get("id").asText()).isEqualTo("b1");

      consumer.close();
      JsonNode gone = again.next("unregistertrigger");
      assertThat(gone.get("id").asText()).isEqualTo("b1");
      assertThat(gone.get("trigger_type").asText()).isEqualTo("tt");
      await().until(() -> userBindings(engine).isEmpty());
    }
  }

  @Test
  void aProviderRejectionParksTheBindingAndTellsItsOwner() throws Exception {
    try (RawWorker consumer = RawWorker.connect(engine.workerUrl());
        RawWorker provider = RawWorker.connect(engine.workerUrl())) {
      provider.send("{\"type\":\"registertriggertype\",\"id\":\"tt\",\"description\":\"test type\"}");
      await().until(() -> engine.core().triggerType("tt").isPresent());
      consumer.send(BINDING);
      provider.next("registertrigger");
      provider.send(
          "{\"type\":\"triggerregistrationresult\",\"id\":\"b1\",\"trigger_type\":\"tt\",\"function_id\":\"c::fn\","
              + "\"error\":{\"code\":\"trigger_registration_failed\",\"message\":\"bad tag\"}}");
      JsonNode error = consumer.next("triggerregistrationresult");
      assertThat(error.get("error").get("code").asText()).isEqualTo("trigger_registration_failed");
      assertThat(error.get("error").get("message").asText()).isEqualTo("bad tag");
    }
  }

  @Test
  void explicitUnregisterTellsTheProvider() throws Exception {
    try (RawWorker consumer = RawWorker.connect(engine.workerUrl());
        RawWorker provider = RawWorker.connect(engine.workerUrl())) {
      provider.send("{\"type\":\"registertriggertype\",\"id\":\"tt\",\"description\":\"test type\"}");
      await().until(() -> engine.core().triggerType("tt").isPresent());
      consumer.send(BINDING);
      provider.next("registertrigger");
      consumer.send("{\"type\":\"unregistertrigger\",\"id\":\"b1\",\"trigger_type\":\"tt\"}");
      assertThat(provider.next("unregistertrigger").get("id").asText()).isEqualTo("b1");
    }
  }
}
