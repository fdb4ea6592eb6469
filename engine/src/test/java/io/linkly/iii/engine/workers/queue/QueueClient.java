package io.linkly.iii.engine.workers.queue;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;

/** A remote caller over a real worker socket: plain calls and {@code action: enqueue} calls. */
final class QueueClient implements AutoCloseable {

  private final RawWorker worker;

  QueueClient(String url) throws Exception {
    this.worker = RawWorker.connect(url);
  }

  RawWorker worker() {
    return worker;
  }

  static ObjectNode payload(Object... keysAndValues) {
    return RawWorker.payload(keysAndValues);
  }

  /** Sends {@code invokefunction} with {@code action:{type:"enqueue",queue}}; returns the invocation id. */
  String sendEnqueue(String queue, String function, JsonNode data) {
    return worker.invoke(function, data, Json.object().put("type", "enqueue").put("queue", queue));
  }

  String send(String function, JsonNode data) {
    return worker.invoke(function, data, null);
  }

  JsonNode answer(String invocationId) throws InterruptedException {
    return worker.answer(invocationId);
  }

  /** Enqueues and returns the whole {@code invocationresult} frame. */
  JsonNode enqueue(String queue, String function, JsonNode data) throws InterruptedException {
    return answer(sendEnqueue(queue, function, data));
  }

  /** Enqueues, expects success, returns the receipt. */
  String enqueued(String queue, String function, JsonNode data) throws InterruptedException {
    JsonNode answer = enqueue(queue, function, data);
    assertThat(answer.has("error")).as("enqueue failed: %s", answer.path("error")).isFalse();
    return answer.get("result").get("messageReceiptId").asText();
  }

  JsonNode result(String function, Object... keysAndValues) throws InterruptedException {
    JsonNode answer = answer(send(function, payload(keysAndValues)));
    assertThat(answer.has("error")).as("%s failed: %s", function, answer.path("error")).isFalse();
    return answer.get("result");
  }

  JsonNode error(String function, Object... keysAndValues) throws InterruptedException {
    JsonNode answer = answer(send(function, payload(keysAndValues)));
    assertThat(answer.has("error")).as("%s should fail, got %s", function, answer.path("result")).isTrue();
    return answer.get("error");
  }

  @Override
  public void close() {
    worker.close();
  }
}
