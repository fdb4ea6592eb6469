package io.linkly.iii.engine.workers.observability.tracing;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;
import java.time.Duration;
import java.util.UUID;

/** A raw worker that registers functions and triggers, calls with a trace context, and answers by hand. */
final class TraceWorker implements AutoCloseable {

  private final IiiEngine engine;
  final RawWorker raw;

  private TraceWorker(IiiEngine engine) throws Exception {
    this.engine = engine;
    this.raw = RawWorker.connect(engine.workerUrl());
  }

  static TraceWorker connect(IiiEngine engine) throws Exception {
    return new TraceWorker(engine);
  }

  TraceWorker register(String functionId) {
    raw.send("{\"type\":\"registerfunction\",\"id\":\"" + functionId + "\"}");
    await().until(() -> engine.core().function(functionId).isPresent());
    return this;
  }

  TraceWorker trigger(String id, String type, String functionId, String config) {
    raw.send("{\"type\":\"registertrigger\",\"id\":\"" + id + "\",\"trigger_type\":\"" + type + "\",\"function_id\":\"" + functionId
        + "\",\"config\":" + config + "}");
    await().until(() -> engine.core().triggerBindings().stream().anyMatch(b -> b.id().equals(id)));
    return this;
  }

  /** Sends {@code invokefunction} carrying {@code traceparent} (may be null) and {@code action} (may be null); returns its id. */
  String invoke(String functionId, String data, String traceparent, String action) throws Exception {
    String id = UUID.randomUUID().toString();
    ObjectNode frame = Json.object().put("type", "invokefunction").put("invocation_id", id).put("function_id", functionId);
    frame.set("data", Json.mapper().readTree(data));
    if (traceparent != null) {
      frame.put("traceparent", traceparent);
    }
    if (action != null) {
      frame.set("action", Json.mapper().readTree(action));
    }
    raw.send(Json.write(frame));
    return id;
  }

  JsonNode answerTo(String invocationId) throws InterruptedException {
    return raw.answer(invocationId);
  }

  /** The next call of {@code functionId} the engine routes here. */
  JsonNode invocation(String functionId) throws InterruptedException {
    JsonNode m =
        raw.next(f -> "invokefunction".equals(f.path("type").asText()) && functionId.equals(f.path("function_id").asText()), Duration.ofSeconds(10));
    if (m == null) {
      throw new AssertionError("no call of " + functionId + " arrived");
    }
    return m;
  }

  void answer(JsonNode invocation, String result) {
    raw.send("{\"type\":\"invocationresult\",\"invocation_id\":\"" + invocation.get("invocation_id").asText() + "\",\"function_id\":\""
        + invocation.get("function_id").asText() + "\",\"result\":" + result + "}");
  }

  void fail(JsonNode invocation, String code, String message) {
    raw.send("{\"type\":\"invocationresult\",\"invocation_id\":\"" + invocation.get("invocation_id").asText() + "\",\"function_id\":\""
        + invocation.get("function_id").asText() + "\",\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}}");
  }

  @Override
  public void close() {
    raw.close();
  }

  static String traceId(String traceparent) {
    return traceparent.substring(3, 35);
  }

  static String spanId(String traceparent) {
    return traceparent.substring(36, 52);
  }
}
