package io.linkly.iii.engine.workers.database;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;

/** Calls functions over a real worker socket, as a remote caller would, and unpacks the answers. */
final class DbClient implements AutoCloseable {

  private final RawWorker worker;

  DbClient(String url) throws Exception {
    this.worker = RawWorker.connect(url);
  }

  RawWorker worker() {
    return worker;
  }

  static ObjectNode payload(Object... keysAndValues) {
    return RawWorker.payload(keysAndValues);
  }

  /** Sends the call and returns its invocation id without waiting. */
  String send(String function, JsonNode data) {
    return worker.invoke(function, data, null);
  }

  JsonNode frame(String function, JsonNode data) throws Exception {
    return worker.call(function, data);
  }

  JsonNode result(String function, Object... keysAndValues) throws Exception {
    JsonNode answer = frame(function, payload(keysAndValues));
    assertThat(answer.has("error")).as("%s failed: %s", function, answer.path("error")).isFalse();
    return answer.get("result");
  }

  /** The wire error: {@code code} plus {@code message}. */
  JsonNode error(String function, Object... keysAndValues) throws Exception {
    JsonNode answer = frame(function, payload(keysAndValues));
    assertThat(answer.has("error")).as("%s should fail, got %s", function, answer.path("result")).isTrue();
    return answer.get("error");
  }

  /** The upstream JSON body that a database error carries as its message. */
  static JsonNode body(JsonNode wireError) throws Exception {
    JsonNode body = Json.mapper().readTree(wireError.get("message").asText());
    assertThat(body.get("code").asText()).isEqualTo(wireError.get("code").asText());
    return body;
  }

  @Override
  public void close() {
    worker.close();
  }
}
