package io.linkly.iii.engine.workers.pubsub;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** A worker on the wire for pubsub tests: registers subscribers, publishes, reads its events. */
final class Peer implements AutoCloseable {

  static final String MARKER = "{\"marker\":true}";

  private final IiiEngine engine;
  private final RawWorker raw;

  private Peer(IiiEngine engine) throws Exception {
    this.engine = engine;
    this.raw = RawWorker.connect(engine.workerUrl());
  }

  static Peer connect(IiiEngine engine) throws Exception {
    return new Peer(engine);
  }

  RawWorker raw() {
    return raw;
  }

  /** Registers {@code functionId} and binds it to {@code topic}; returns once the binding is live. */
  Peer subscribe(String bindingId, String functionId, String topic) {
    return subscribe(bindingId, functionId, "{\"topic\":\"" + topic + "\"}", null);
  }

  Peer subscribe(String bindingId, String functionId, String config, String metadata) {
    raw.send("{\"type\":\"registerfunction\",\"id\":\"" + functionId + "\"}");
    raw.send("{\"type\":\"registertrigger\",\"id\":\"" + bindingId + "\",\"trigger_type\":\"subscribe\",\"function_id\":\""
        + functionId + "\",\"config\":" + config + (metadata == null ? "" : ",\"metadata\":" + metadata) + "}");
    await().until(() -> engine.core().triggerBindings().stream().anyMatch(b -> b.id().equals(bindingId)));
    return this;
  }

  Peer unsubscribe(String bindingId) {
    raw.send("{\"type\":\"unregistertrigger\",\"id\":\"" + bindingId + "\",\"trigger_type\":\"subscribe\"}");
    await().until(() -> engine.core().triggerBindings().stream().noneMatch(b -> b.id().equals(bindingId)));
    return this;
  }

  /** Calls {@code publish} and returns the whole {@code invocationresult} frame. */
  JsonNode publish(String topic, String data) throws Exception {
    return call("publish", "{\"topic\":\"" + topic + "\",\"data\":" + data + "}");
  }

  JsonNode call(String function, String data) throws Exception {
    UUID id = UUID.randomUUID();
    raw.send("{\"type\":\"invokefunction\",\"invocation_id\":\"" + id + "\",\"function_id\":\"" + function
        + "\",\"data\":" + data + "}");
    JsonNode result = raw.next(m -> m.path("invocation_id").asText().equals(id.toString()), Duration.ofSeconds(15));
    if (result == null) {
      throw new AssertionError("no answer to " + function + " " + data);
    }
    return result;
  }

  /** The next call the engine makes to this worker, not yet answered; null after 5 s. */
  JsonNode nextInvocation() throws InterruptedException {
    return raw.next("invokefunction");
  }

  void answer(JsonNode invocation) {
    raw.send("{\"type\":\"invocationresult\",\"invocation_id\":\"" + invocation.get("invocation_id").asText()
        + "\",\"function_id\":\"" + invocation.get("function_id").asText() + "\"}");
  }

  void fail(JsonNode invocation) {
    raw.send("{\"type\":\"invocationresult\",\"invocation_id\":\"" + invocation.get("invocation_id").asText()
        + "\",\"function_id\":\"" + invocation.get("function_id").asText()
        + "\",\"error\":{\"code\":\"invocation_failed\",\"message\":\"boom\"}}");
  }

  /** The next event's payload, answered; fails when none comes. */
  JsonNode nextEvent() throws InterruptedException {
    JsonNode invocation = nextInvocation();
    if (invocation == null) {
      throw new AssertionError("no event arrived");
    }
    answer(invocation);
    return invocation.get("data");
  }

  /**
   * Payloads of every event up to the {@link #MARKER} (answered, marker excluded). Events of one
   * engine reach one worker in the order the engine received them, so whatever a publish before
   * the marker delivered here has arrived by then.
   */
  List<JsonNode> eventsBeforeMarker() throws Exception {
    JsonNode marker = Json.mapper().readTree(MARKER);
    List<JsonNode> events = new ArrayList<>();
    while (true) {
      JsonNode data = nextEvent();
      if (data.equals(marker)) {
        return events;
      }
      events.add(data);
    }
  }

  @Override
  public void close() {
    raw.close();
  }
}
