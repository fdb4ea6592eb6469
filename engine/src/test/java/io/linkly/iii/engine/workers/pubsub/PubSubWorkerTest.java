package io.linkly.iii.engine.workers.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** iii-pubsub with the default local adapter, driven over the worker socket. */
class PubSubWorkerTest {

  private IiiEngine engine;
  private Peer publisher;
  private final List<Peer> peers = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral());
    publisher = peer();
  }

  @AfterEach
  void stop() {
    peers.forEach(Peer::close);
    engine.close();
  }

  private Peer peer() throws Exception {
    Peer peer = Peer.connect(engine);
    peers.add(peer);
    return peer;
  }

  private static JsonNode json(String text) throws Exception {
    return Json.mapper().readTree(text);
  }

  private static List<Integer> numbers(List<JsonNode> events) {
    return events.stream().map(e -> e.get("n").asInt()).toList();
  }

  private void assertPublished(JsonNode result) {
    assertThat(result.get("type").asText()).isEqualTo("invocationresult");
    assertThat(result.has("error")).as("error in %s", result).isFalse();
    assertThat(result.path("result").isMissingNode() || result.get("result").isNull()).isTrue();
  }

  @Test
  void handlerGetsTheRawDataWithoutEnvelopeOrMetadata() throws Exception {
    Peer sub = peer().subscribe("t1", "orders::on", "{\"topic\":\"orders\"}", "{\"team\":\"a\"}");

    for (String data : List.of("{\"id\":7,\"items\":[1,{\"x\":null}]}", "\"hello\"", "42", "null", "[1,2]")) {
      assertPublished(publisher.publish("orders", data));
      JsonNode invocation = sub.nextInvocation();
      assertThat(invocation.get("function_id").asText()).isEqualTo("orders::on");
      assertThat(invocation.get("data")).isEqualTo(json(data));
      assertThat(invocation.has("metadata")).isFalse(); // upstream's pubsub uses the plain call
      sub.answer(invocation);
    }
  }

  @Test
  void publishIsRegisteredWithItsSchemaAndSubscribeIsATriggerType() throws Exception {
    JsonNode info = publisher.call("engine::functions::info", "{\"function_id\":\"publish\"}").get("result");
    assertThat(info.get("description").asText()).isEqualTo("Publishes an event");
    assertThat(info.get("request_schema").get("required")).isEqualTo(json("[\"data\",\"topic\"]"));
    assertThat(engine.core().triggerType("subscribe")).isPresent();

    // A built-in caller gets the same no-value result.
    assertThat(engine.core().invoke(Call.of("publish", json("{\"topic\":\"t\",\"data\":1}"))).get()).isNull();
  }

  @Test
  void everySubscriberOfATopicGetsEveryEvent() throws Exception {
    Peer a = peer().subscribe("t-a", "a::on", "orders");
    Peer b = peer().subscribe("t-b", "b::on", "orders");
    Peer c = peer().subscribe("t-c1", "c::one", "orders").subscribe("t-c2", "c::two", "orders");
    for (Peer p : List.of(a, b, c)) {
      p.subscribe("m-" + System.identityHashCode(p), "marker::" + System.identityHashCode(p), "marker");
    }

    for (int n = 1; n <= 3; n++) {
      assertPublished(publisher.publish("orders", "{\"n\":" + n + "}"));
    }
    publisher.publish("marker", Peer.MARKER);

    assertThat(numbers(a.eventsBeforeMarker())).containsExactlyInAnyOrder(1, 2, 3);
    assertThat(numbers(b.eventsBeforeMarker())).containsExactlyInAnyOrder(1, 2, 3);
    // Two functions of one worker on one topic are two subscribers.
    assertThat(numbers(c.eventsBeforeMarker())).containsExactlyInAnyOrder(1, 1, 2, 2, 3, 3);
  }

  @Test
  void removingOneSubscriberKeepsTheOthers() throws Exception {
    // Upstream v0.22.1 drops the whole topic here; b and c must keep receiving.
    Peer a = peer().subscribe("t-a", "a::on", "orders").subscribe("m-a", "a::marker", "marker");
    Peer b = peer().subscribe("t-b", "b::on", "orders").subscribe("m-b", "b::marker", "marker");
    Peer c = peer().subscribe("t-c", "c::on", "orders").subscribe("m-c", "c::marker", "marker");

    a.unsubscribe("t-a");
    assertPublished(publisher.publish("orders", "{\"n\":1}"));
    publisher.publish("marker", Peer.MARKER);
    assertThat(numbers(a.eventsBeforeMarker())).isEmpty();
    assertThat(numbers(b.eventsBeforeMarker())).containsExactly(1);
    assertThat(numbers(c.eventsBeforeMarker())).containsExactly(1);

    // A subscriber that disconnects takes only its own bindings with it.
    b.close();
    await().until(() -> engine.core().triggerBindings().stream().noneMatch(t -> t.id().equals("t-b")));
    a.subscribe("t-a2", "a::on", "orders");
    publisher.publish("orders", "{\"n\":2}");
    publisher.publish("marker", Peer.MARKER);
    assertThat(numbers(a.eventsBeforeMarker())).containsExactly(2);
    assertThat(numbers(c.eventsBeforeMarker())).containsExactly(2);
  }

  @Test
  void topicsAreIsolated() throws Exception {
    Peer a = peer().subscribe("t-a", "a::on", "orders");
    Peer b = peer().subscribe("t-b", "b::on", "orders.created");

    publisher.publish("orders.created", "{\"n\":1}");
    publisher.publish("other", "{\"n\":2}");
    publisher.publish("orders", "{\"n\":3}");

    assertThat(a.nextEvent().get("n").asInt()).isEqualTo(3);
    assertThat(b.nextEvent().get("n").asInt()).isEqualTo(1);
  }

  @Test
  void publishNeedsATopic() throws Exception {
    JsonNode empty = publisher.publish("", "{\"n\":1}");
    assertThat(empty.get("error")).isEqualTo(json("{\"code\":\"topic_not_set\",\"message\":\"Topic is not set\"}"));

    JsonNode missing = publisher.call("publish", "{\"data\":1}");
    assertThat(missing.get("error").get("code").asText()).isEqualTo("deserialization_error");
    assertThat(missing.get("error").get("message").asText())
        .isEqualTo("Failed to deserialize input for publish: missing field `topic`");
    assertThat(publisher.call("publish", "{\"topic\":\"t\"}").get("error").get("message").asText())
        .isEqualTo("Failed to deserialize input for publish: missing field `data`");
    assertThat(publisher.call("publish", "{\"topic\":5,\"data\":1}").get("error").get("code").asText())
        .isEqualTo("deserialization_error");

    assertPublished(publisher.publish("nobody-listens", "{\"n\":1}"));
  }

  @Test
  void publishDoesNotWaitForSubscribers() throws Exception {
    Peer slow = peer().subscribe("t-slow", "slow::on", "orders");
    Peer failing = peer().subscribe("t-failing", "failing::on", "orders");

    assertPublished(publisher.publish("orders", "{\"n\":1}"));
    assertPublished(publisher.publish("orders", "{\"n\":2}"));

    // Both publishes were answered while the slow subscriber still holds both calls.
    JsonNode first = slow.nextInvocation();
    JsonNode second = slow.nextInvocation();
    assertThat(List.of(first.get("data").get("n").asInt(), second.get("data").get("n").asInt()))
        .containsExactlyInAnyOrder(1, 2);
    failing.fail(failing.nextInvocation());
    failing.fail(failing.nextInvocation());
    slow.answer(first);
    slow.answer(second);

    // A failing subscriber changes nothing for the next event.
    publisher.publish("orders", "{\"n\":3}");
    assertThat(slow.nextEvent().get("n").asInt()).isEqualTo(3);
    assertThat(failing.nextEvent().get("n").asInt()).isEqualTo(3);
  }

  @Test
  void conditionFunctionGatesItsBindingOnly() throws Exception {
    Worker module = engine.core().registerBuiltinWorker("test-conditions");
    engine.core().registerFunction(module, FunctionDefinition.of("cond::odd", "odd n only"),
        BuiltinFunction.sync(call -> Json.mapper().getNodeFactory().booleanNode(call.data().get("n").asInt() % 2 == 1)));
    engine.core().registerFunction(module, FunctionDefinition.of("cond::broken", "always fails"),
        BuiltinFunction.sync(call -> {
          throw new InvocationException("boom", "condition failed");
        }));
    Peer odd = peer().subscribe("t-odd", "odd::on", "{\"topic\":\"n\",\"condition_function_id\":\"cond::odd\"}", null);
    Peer all = peer().subscribe("t-all", "all::on", "n");
    Peer broken = peer().subscribe("t-broken", "broken::on", "{\"topic\":\"n\",\"condition_function_id\":\"cond::broken\"}", null)
        .subscribe("m-broken", "broken::marker", "marker");
    odd.subscribe("m-odd", "odd::marker", "marker");
    all.subscribe("m-all", "all::marker", "marker");

    for (int n = 1; n <= 4; n++) {
      publisher.publish("n", "{\"n\":" + n + "}");
    }
    publisher.publish("marker", Peer.MARKER);

    assertThat(numbers(odd.eventsBeforeMarker())).containsExactlyInAnyOrder(1, 3);
    assertThat(numbers(all.eventsBeforeMarker())).containsExactlyInAnyOrder(1, 2, 3, 4);
    assertThat(numbers(broken.eventsBeforeMarker())).isEmpty();
  }

  @Test
  void aBindingWithoutTopicIsAcceptedButInert() throws Exception {
    Peer sub = peer().subscribe("t-none", "none::on", "{}", null).subscribe("t-num", "none::num", "{\"topic\":7}", null)
        .subscribe("m", "none::marker", "marker");
    publisher.publish("7", "{\"n\":1}");
    publisher.publish("marker", Peer.MARKER);
    assertThat(sub.eventsBeforeMarker()).isEmpty();
    assertThat(engine.core().triggerBindings()).extracting(b -> b.id()).contains("t-none", "t-num");
  }

  @Test
  void builtinSubscribersGetTheirOwnCopy() throws Exception {
    Worker module = engine.core().registerBuiltinWorker("test-subscribers");
    List<JsonNode> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    engine.core().registerFunction(module, FunctionDefinition.of("mut::on", "changes its input"),
        BuiltinFunction.sync(call -> {
          ((com.fasterxml.jackson.databind.node.ObjectNode) call.data()).put("changed", true);
          seen.add(call.data());
          return null;
        }));
    engine.core().registerTrigger(new io.linkly.iii.engine.core.TriggerBinding(
        "t-mut", "subscribe", "mut::on", json("{\"topic\":\"orders\"}"), null, null));
    Peer remote = peer().subscribe("t-remote", "remote::on", "orders");

    publisher.publish("orders", "{\"n\":1}");

    assertThat(remote.nextEvent()).isEqualTo(json("{\"n\":1}"));
    await().until(() -> seen.size() == 1);
    assertThat(seen.get(0)).isEqualTo(json("{\"n\":1,\"changed\":true}"));
  }

  @Test
  void aSubscriberThatFailsForEveryEventLogsOneLineNotOneEach() throws Exception {
    Worker module = engine.core().registerBuiltinWorker("test-failing");
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    engine.core().registerFunction(module, FunctionDefinition.of("fail::on", "always fails"),
        BuiltinFunction.sync(call -> {
          calls.incrementAndGet();
          throw new InvocationException("busy", "too busy");
        }));
    engine.core().registerTrigger(new io.linkly.iii.engine.core.TriggerBinding(
        "t-fail", "subscribe", "fail::on", json("{\"topic\":\"flood\"}"), null, null));
    try (io.linkly.iii.engine.testing.LogCapture logs = new io.linkly.iii.engine.testing.LogCapture()) {
      for (int i = 0; i < 500; i++) {
        publisher.publish("flood", "{\"n\":" + i + "}");
      }
      await().until(() -> calls.get() == 500);
      assertThat(logs.containing("subscriber fail::on of topic flood failed")).hasSize(1);
    }
  }
}
