package io.linkly.iii.engine.workers.queue;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;
import java.time.Duration;
import java.util.UUID;

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
    ObjectNode out = Json.object();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      out.set((String) keysAndValues[i], Json.toTree(keysAndValues[i + 1]));
    }
    return out;
  }

  /** Sends {@code invokefunction} with {@code action:{type:"enqueue",queue}}; returns the invocation id. */
  String sendEnqueue(String queue, String function, JsonNode data) {
    String id = UUID.randomUUID().toString();
    ObjectNode frame = Json.object().put("type", "invokefunction").put("invocation_id", id).put("function_id", function);
    frame.set("data", data);
    frame.putObject("action").put("type", "enqueue").put("queue", queue);
    worker.send(Json.write(frame));
    return id;
  }

  String send(String function, JsonNode data) {
    String id = UUID.randomUUID().toString();
    ObjectNode frame = Json.object().put("type", "invokefunction").put("invocation_id", id).put("function_id", function);
    frame.set("data", data);
    worker.send(Json.write(frame));
    return id;
  }

  JsonNode answer(String invocationId) throws InterruptedException {
    JsonNode answer = worker.next(m -> invocationId.equals(m.path("invocation_id").asText()), Duration.ofSeconds(30));
    assertThat(answer).as("answer to " + invocationId).isNotNull();
    return answer;
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
