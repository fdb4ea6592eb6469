package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.TriggerAction;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerBinding;
import io.linkly.iii.sdk.TriggerConfig;
import io.linkly.iii.sdk.TriggerRef;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.iii.sdk.TriggerTypeHandler;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Custom trigger types across SDKs (PROTOCOL.md §6.2): the provider gets the other side's
 * binding as {@code registertrigger}, fires it by calling the bound function, and gets {@code
 * unregistertrigger} when the binding's owner leaves.
 */
class CustomTriggerTypeIT extends InteropTest {

  @Test
  void nodeProviderGetsTheJavaBindingFiresItAndHearsTheJavaWorkerLeave() throws Exception {
    String type = "interop::node-tt";
    NodeWorker provider = node("trigger-provider", "provider", Map.of("TRIGGER_TYPE", type));
    awaitTriggerType(type);
    Iii java = javaWorker("consumer");
    List<JsonNode> fired = new CopyOnWriteArrayList<>();
    java.registerFunction(
        "java::on-node-tt",
        (data, ctx) -> {
          fired.add(data);
          return null;
        });
    awaitFunction("java::on-node-tt");

    TriggerRef binding =
        java.registerTrigger(
            TriggerBinding.of(type, "java::on-node-tt", Map.of("tag", "from-java", "n", 1))
                .withMetadata(Map.of("bound_by", "java")));

    JsonNode delivered = provider.await("registertrigger");
    assertThat(delivered.path("id").asText()).as("binding id\n%s", provider.describe()).isEqualTo(binding.id());
    assertThat(delivered.path("function_id").asText()).isEqualTo("java::on-node-tt");
    assertJson(delivered.get("config")).isEqualTo(json("{\"tag\":\"from-java\",\"n\":1}"));
    assertJson(delivered.get("metadata")).isEqualTo(json("{\"bound_by\":\"java\"}"));
    provider.await("fired");
    await("java::on-node-tt fired by the Node provider").atMost(WAIT).until(() -> !fired.isEmpty());
    JsonNode firedData = fired.getFirst();
    assertThat(firedData.path("fired_by").asText()).isEqualTo("node");
    assertThat(firedData.path("binding_id").asText()).isEqualTo(binding.id());
    assertJson(firedData.get("config")).isEqualTo(json("{\"tag\":\"from-java\",\"n\":1}"));

    java.shutdown();

    JsonNode removed = provider.await("unregistertrigger");
    assertThat(removed.path("id").asText()).as("unregistered binding id").isEqualTo(binding.id());
    await("binding gone from the engine")
        .atMost(WAIT)
        .until(() -> engine.core().triggerBindings().stream().noneMatch(b -> b.id().equals(binding.id())));
    assertThat(provider.events("registertrigger")).as("delivered once\n%s", provider.describe()).hasSize(1);
  }

  @Test
  void javaProviderGetsTheNodeBindingFiresItAndHearsTheNodeWorkerLeave() throws Exception {
    String type = "interop::java-tt";
    Iii java = javaWorker("provider");
    List<TriggerConfig> registered = new CopyOnWriteArrayList<>();
    List<TriggerConfig> unregistered = new CopyOnWriteArrayList<>();
    java.registerTriggerType(
        type,
        "interop trigger type provided by Java",
        new TriggerTypeHandler() {
          @Override
          public void registerTrigger(TriggerConfig config) {
            registered.add(config);
            java.trigger(
                TriggerRequest.of(config.functionId(), Map.of("fired_by", "java", "binding_id", config.id()))
                    .withAction(TriggerAction.Void()));
          }

          @Override
          public void unregisterTrigger(TriggerConfig config) {
            unregistered.add(config);
          }
        });
    awaitTriggerType(type);

    NodeWorker consumer =
        node("trigger-consumer", "consumer", Map.of("TRIGGER_TYPE", type, "FUNCTION_ID", "node::on-java-tt"));

    await("binding delivered to the Java provider").atMost(WAIT).until(() -> !registered.isEmpty());
    TriggerConfig binding = registered.getFirst();
    assertThat(binding.functionId()).isEqualTo("node::on-java-tt");
    assertJson(binding.config()).isEqualTo(json("{\"tag\":\"from-node\",\"n\":2}"));
    assertJson(binding.metadata()).isEqualTo(json("{\"bound_by\":\"node\"}"));
    assertThat(engine.core().triggerBindings()).anyMatch(b -> b.id().equals(binding.id()));
    JsonNode called = consumer.await("called");
    assertThat(called.path("data").path("fired_by").asText()).isEqualTo("java");
    assertThat(called.path("data").path("binding_id").asText()).isEqualTo(binding.id());

    consumer.closeStdin(); // the Node worker shuts down and closes its socket
    assertThat(consumer.awaitExit(WAIT)).isZero();

    await("unregistertrigger delivered to the Java provider").atMost(WAIT).until(() -> !unregistered.isEmpty());
    assertThat(unregistered.getFirst().id()).isEqualTo(binding.id());
    assertThat(registered).as("delivered once").hasSize(1);
  }

  @Test
  void bindingWaitsForANodeProviderAndIsDeliveredAgainToARestartedOne() throws Exception {
    String type = "interop::late-tt";
    Iii java = javaWorker("consumer");
    List<JsonNode> fired = new CopyOnWriteArrayList<>();
    java.registerFunction(
        "java::on-late-tt",
        (data, ctx) -> {
          fired.add(data);
          return null;
        });
    awaitFunction("java::on-late-tt");
    TriggerRef binding = java.registerTrigger(TriggerBinding.of(type, "java::on-late-tt", Map.of("tag", "parked")));
    await("binding parked in the engine")
        .atMost(WAIT)
        .until(() -> engine.core().triggerBindings().stream().anyMatch(b -> b.id().equals(binding.id())));

    NodeWorker first = node("trigger-provider", "provider-1", Map.of("TRIGGER_TYPE", type));
    JsonNode delivered = first.await("registertrigger");
    assertThat(delivered.path("id").asText()).as("parked binding delivered\n%s", first.describe()).isEqualTo(binding.id());
    assertJson(delivered.get("config")).isEqualTo(json("{\"tag\":\"parked\"}"));
    await("fired by the first provider").atMost(WAIT).until(() -> fired.size() == 1);

    first.kill();
    NodeWorker second = node("trigger-provider", "provider-2", Map.of("TRIGGER_TYPE", type));

    JsonNode again = second.await("registertrigger");
    assertThat(again.path("id").asText()).as("same binding id after the provider restart").isEqualTo(binding.id());
    assertJson(again.get("config")).isEqualTo(json("{\"tag\":\"parked\"}"));
    await("fired by the second provider").atMost(WAIT).until(() -> fired.size() == 2);
    assertThat(fired).allSatisfy(d -> assertThat(d.path("binding_id").asText()).isEqualTo(binding.id()));
  }
}
