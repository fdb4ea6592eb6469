package io.linkly.iii.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.protocol.TriggerRegistrationResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** A custom trigger type provided by one Java worker and used by another, over each link. */
@ParameterizedClass
@EnumSource(TestSupport.Link.class)
class TriggerTypeTest {

  @Parameter TestSupport.Link link;

  private IiiEngine engine;
  private Iii provider;
  private final List<TriggerConfig> registered = new CopyOnWriteArrayList<>();
  private final List<TriggerConfig> unregistered = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    engine = TestSupport.startEngine(EngineConfig.ephemeral());
    provider = TestSupport.worker(engine, "tt-provider", link);
    provider.registerTriggerType(
        "sdk-test.ticker",
        "fires on demand",
        new TriggerTypeHandler() {
          @Override
          public void registerTrigger(TriggerConfig config) {
            if (config.config() != null && config.config().path("reject").asBoolean()) {
              throw new IllegalArgumentException("this ticker refuses");
            }
            registered.add(config);
          }

          @Override
          public void unregisterTrigger(TriggerConfig config) {
            unregistered.add(config);
          }
        });
    TestSupport.sync(provider);
  }

  @AfterEach
  void stop() {
    if (provider != null) {
      provider.shutdown();
    }
    if (engine != null) {
      engine.close();
    }
  }

  @Test
  void theProviderGetsTheBindingCanFireItAndHearsWhenItsOwnerLeaves() throws Exception {
    Iii binder = TestSupport.worker(engine, "tt-binder", link);
    List<JsonNode> fired = new CopyOnWriteArrayList<>();
    binder.registerFunction(
        "binder::on-tick",
        (data, ctx) -> {
          fired.add(data);
          return Map.of("ticked", true);
        });
    TriggerRef ref =
        binder.registerTrigger(
            TriggerBinding.of("sdk-test.ticker", "binder::on-tick", Map.of("every", 5))
                .withMetadata(Map.of("owner", "binder")));

    await().atMost(Duration.ofSeconds(10)).until(() -> registered.size() == 1);
    TriggerConfig delivered = registered.get(0);
    assertThat(delivered.id()).isEqualTo(ref.id());
    assertThat(delivered.functionId()).isEqualTo("binder::on-tick");
    assertThat(delivered.config().path("every").asInt()).isEqualTo(5);
    assertThat(delivered.metadata().path("owner").asText()).isEqualTo("binder");

    // the provider fires the binding by calling the bound function
    JsonNode answer =
        provider.trigger(TriggerRequest.of(delivered.functionId(), Map.of("tick", 1)));
    assertThat(answer.path("ticked").asBoolean()).isTrue();
    assertThat(fired).singleElement().satisfies(d -> assertThat(d.path("tick").asInt()).isEqualTo(1));

    binder.shutdown();

    await().atMost(Duration.ofSeconds(10)).until(() -> unregistered.size() == 1);
    TriggerConfig removed = unregistered.get(0);
    assertThat(removed.id()).isEqualTo(ref.id());
    // the engine sends only the id; the SDK remembered the rest
    assertThat(removed.functionId()).isEqualTo("binder::on-tick");
    assertThat(removed.config().path("every").asInt()).isEqualTo(5);
  }

  @Test
  void unregisteringABindingTellsTheProvider() throws Exception {
    Iii binder = TestSupport.worker(engine, "tt-binder-2", link);
    try {
      TriggerRef ref =
          binder.registerTrigger(TriggerBinding.of("sdk-test.ticker", "binder::whatever", null));
      await().atMost(Duration.ofSeconds(10)).until(() -> registered.size() == 1);
      assertThat(registered.get(0).config()).isNull();

      ref.unregister();

      await().atMost(Duration.ofSeconds(10)).until(() -> unregistered.size() == 1);
      assertThat(unregistered.get(0).id()).isEqualTo(ref.id());
    } finally {
      binder.shutdown();
    }
  }

  @Test
  void aRejectedBindingIsReportedToItsOwner() throws Exception {
    List<TriggerRegistrationResult> errors = new CopyOnWriteArrayList<>();
    Iii binder =
        Iii.registerWorker(
            engine.workerUrl(),
            WorkerOptions.builder()
                .workerName("tt-rejected")
                .onTriggerRegistrationError(errors::add)
                .build());
    try {
      binder.ready().get(10, TimeUnit.SECONDS);
      TriggerRef ref =
          binder.registerTrigger(
              TriggerBinding.of("sdk-test.ticker", "binder::x", Map.of("reject", true)));

      await().atMost(Duration.ofSeconds(10)).until(() -> errors.size() == 1);
      TriggerRegistrationResult error = errors.get(0);
      assertThat(error.id()).isEqualTo(ref.id());
      assertThat(error.error().code()).isEqualTo("trigger_registration_failed");
      assertThat(error.error().message()).contains("this ticker refuses");
      assertThat(registered).isEmpty();
    } finally {
      binder.shutdown();
    }
  }
}
