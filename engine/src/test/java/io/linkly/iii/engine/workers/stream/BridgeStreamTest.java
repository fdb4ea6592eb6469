package io.linkly.iii.engine.workers.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.engine.testing.StreamClient;
import io.linkly.iii.protocol.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * iii-stream's {@code bridge} adapter: an engine that keeps no streams and forwards
 * {@code stream::*} to another engine's worker port (the backend). Upstream's bridge-stream
 * scenarios, called on the bridging engine over a real socket, with the backend read directly to
 * see where the data is; and the bridging engine's own subscribers hearing of its writes.
 */
class BridgeStreamTest {

  private static final String STREAM = "bridge-test-stream";
  private static final String GROUP = "bridge-test-group";

  private final List<AutoCloseable> open = new ArrayList<>();
  private IiiEngine backend;
  private IiiEngine bridging;
  private RawWorker caller; // on the bridging engine
  private RawWorker direct; // on the backend

  @BeforeEach
  void start() throws Exception {
    backend = IiiEngine.start(EngineConfig.ephemeral());
    ObjectNode adapter = Json.object().put("name", "bridge");
    adapter.putObject("config").put("bridge_url", backend.workerUrl());
    bridging = IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-stream", "adapter", adapter));
    caller = connect(bridging);
    direct = connect(backend);
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    bridging.close();
    if (backend != null) {
      backend.close();
    }
  }

  private RawWorker connect(IiiEngine engine) throws Exception {
    RawWorker worker = RawWorker.connect(engine.workerUrl());
    open.add(worker);
    return worker;
  }

  private static String item(String item) {
    return "{\"stream_name\":\"" + STREAM + "\",\"group_id\":\"" + GROUP + "\",\"item_id\":\"" + item + "\"}";
  }

  private static String set(String item, String data) {
    return "{\"stream_name\":\"" + STREAM + "\",\"group_id\":\"" + GROUP + "\",\"item_id\":\"" + item + "\",\"data\":" + data + "}";
  }

  private static JsonNode result(RawWorker worker, String function, String data) throws Exception {
    JsonNode reply = worker.call(function, data);
    if (reply.has("error")) {
      throw new AssertionError(function + " failed: " + reply.get("error"));
    }
    return reply.get("result");
  }

  private StreamClient subscriber(String subscription, String group) throws Exception {
    StreamClient client = StreamClient.connect("ws://127.0.0.1:" + bridging.port("iii-stream").orElseThrow() + "/");
    open.add(client);
    client.join(subscription, STREAM, group);
    await().atMost(StreamClient.patience()).until(() -> client.events("sync").size() == 1);
    return client;
  }

  @Test
  void settingANewItemAnswersNoOldValueAndStoresItOnTheBackend() throws Exception {
    JsonNode reply = caller.call("stream::set", set("item", "{\"name\":\"Test Item\",\"value\":42}"));
    assertThat(reply.get("result").toString()).isEqualTo("{\"old_value\":null,\"new_value\":{\"name\":\"Test Item\",\"value\":42}}");
    assertThat(result(direct, "stream::get", item("item")).toString()).isEqualTo("{\"name\":\"Test Item\",\"value\":42}");
  }

  @Test
  void overwritingAnswersTheOldAndTheNewValue() throws Exception {
    result(caller, "stream::set", set("item", "{\"value\":1}"));
    JsonNode second = result(caller, "stream::set", set("item", "{\"value\":2,\"updated\":true}"));
    assertThat(second.get("old_value").toString()).isEqualTo("{\"value\":1}");
    assertThat(second.get("new_value").toString()).isEqualTo("{\"value\":2,\"updated\":true}");
  }

  @Test
  void getReadsWhatTheBackendHoldsAndAMissingItemHasNoResult() throws Exception {
    result(direct, "stream::set", set("written-there", "{\"name\":\"Test\",\"value\":100}"));
    assertThat(result(caller, "stream::get", item("written-there")).toString()).isEqualTo("{\"name\":\"Test\",\"value\":100}");
    JsonNode missing = caller.call("stream::get", item("non-existent-item"));
    assertThat(missing.has("error")).isFalse();
    assertThat(missing.has("result")).isFalse();
  }

  @Test
  void deleteRemovesTheItemOnTheBackendAndDeletingNothingIsFine() throws Exception {
    result(caller, "stream::set", set("item", "{\"test\":true}"));
    assertThat(result(caller, "stream::delete", item("item")).toString()).isEqualTo("{\"old_value\":{\"test\":true}}");
    assertThat(caller.call("stream::get", item("item")).has("result")).isFalse();
    assertThat(direct.call("stream::get", item("item")).has("result")).isFalse();
    assertThat(result(caller, "stream::delete", item("non-existent")).toString()).isEqualTo("{\"old_value\":null}");
  }

  @Test
  void listGivesEveryItemOfAGroupAndTheListingsAskTheBackend() throws Exception {
    String group = "bridge-stream-list";
    for (int i = 1; i <= 3; i++) {
      result(caller, "stream::set", "{\"stream_name\":\"" + STREAM + "\",\"group_id\":\"" + group + "\",\"item_id\":\"stream-item" + i
          + "\",\"data\":{\"id\":\"stream-item" + i + "\",\"value\":" + i + "}}");
    }
    String list = "{\"stream_name\":\"" + STREAM + "\",\"group_id\":\"" + group + "\"}";
    assertThat(result(caller, "stream::list", list).toString()).isEqualTo(
        "[{\"id\":\"stream-item1\",\"value\":1},{\"id\":\"stream-item2\",\"value\":2},{\"id\":\"stream-item3\",\"value\":3}]");
    assertThat(result(direct, "stream::list", list)).isEqualTo(result(caller, "stream::list", list));
    assertThat(result(caller, "stream::list", "{\"stream_name\":\"" + STREAM + "\",\"group_id\":\"empty\"}").toString()).isEqualTo("[]");
    assertThat(result(caller, "stream::list_groups", "{\"stream_name\":\"" + STREAM + "\"}").toString()).isEqualTo("[\"" + group + "\"]");
    assertThat(result(caller, "stream::list_all", "{}").toString())
        .isEqualTo("{\"stream\":[{\"id\":\"" + STREAM + "\",\"groups\":[\"" + group + "\"]}],\"count\":1}");
  }

  @Test
  void updateOpsRunOnTheBackendAndTheirErrorsComeBack() throws Exception {
    result(caller, "stream::set", set("counter", "{\"n\":1,\"s\":\"x\"}"));
    JsonNode updated = result(caller, "stream::update",
        "{\"stream_name\":\"" + STREAM + "\",\"group_id\":\"" + GROUP + "\",\"item_id\":\"counter\",\"ops\":["
            + "{\"type\":\"increment\",\"path\":\"n\",\"by\":2},"
            + "{\"type\":\"append\",\"path\":\"s\",\"value\":1},"
            + "{\"type\":\"merge\",\"value\":{\"m\":true}}]}");
    assertThat(updated.get("old_value").toString()).isEqualTo("{\"n\":1,\"s\":\"x\"}");
    assertThat(updated.get("new_value").toString()).isEqualTo("{\"n\":3,\"s\":\"x\",\"m\":true}");
    assertThat(updated.get("errors")).hasSize(1);
    assertThat(updated.get("errors").get(0).get("op_index").asInt()).isEqualTo(1);
    assertThat(updated.get("errors").get(0).get("code").asText()).isEqualTo("append.type_mismatch");
    assertThat(result(direct, "stream::get", item("counter"))).isEqualTo(updated.get("new_value"));
  }

  @Test
  void aSubscriberOfTheBridgingEngineIsSyncedFromTheBackendAndHearsItsWrites() throws Exception {
    result(direct, "stream::set", set("there-first", "{\"v\":0}"));
    StreamClient client = subscriber("s1", GROUP);
    assertThat(client.events("sync").get(0).get("event").get("data").toString())
        .as("the join's snapshot is the backend's group").isEqualTo("[{\"v\":0}]");

    result(caller, "stream::set", set("item", "{\"v\":1}"));
    result(caller, "stream::update",
        "{\"stream_name\":\"" + STREAM + "\",\"group_id\":\"" + GROUP + "\",\"item_id\":\"item\",\"ops\":[{\"type\":\"increment\",\"path\":\"v\",\"by\":1}]}");
    result(caller, "stream::delete", item("item"));
    await().atMost(StreamClient.patience()).until(() -> client.events("delete").size() == 1);
    List<String> changes = client.frames().stream()
        .filter(f -> !f.path("event").path("type").asText().equals("sync"))
        .map(f -> f.path("id").asText() + " " + f.path("event").path("type").asText() + " " + f.path("event").path("data"))
        .toList();
    assertThat(changes).containsExactly("item create {\"v\":1}", "item update {\"v\":2}", "item delete {\"v\":2}");
    assertThat(client.frames().get(1).get("streamName").asText()).isEqualTo(STREAM);
    assertThat(client.frames().get(1).get("groupId").asText()).isEqualTo(GROUP);
  }

  @Test
  void anErrorOfTheBackendReachesTheCallerUnchanged() throws Exception {
    // a custom stream on the backend refuses reads; the bridging engine has no such function
    direct.send("{\"type\":\"registerfunction\",\"id\":\"stream::get(" + STREAM + ")\"}");
    await().until(() -> result(direct, "engine::functions::list", "{\"include_internal\":true}").toString().contains("stream::get(" + STREAM + ")"));
    String id = caller.invoke("stream::get", Json.mapper().readTree(item("secret")), null);
    JsonNode forwarded = direct.next(m -> m.path("type").asText().equals("invokefunction"), Duration.ofSeconds(20));
    assertThat(forwarded).as("the backend called its custom stream").isNotNull();
    assertThat(forwarded.get("function_id").asText()).isEqualTo("stream::get(" + STREAM + ")");
    direct.send("{\"type\":\"invocationresult\",\"invocation_id\":\"" + forwarded.get("invocation_id").asText()
        + "\",\"function_id\":\"stream::get(" + STREAM + ")\",\"error\":{\"code\":\"FORBIDDEN_ITEM\",\"message\":\"secret is not for you\"}}");
    JsonNode reply = caller.answer(id);
    assertThat(reply.get("error").get("code").asText()).isEqualTo("FORBIDDEN_ITEM");
    assertThat(reply.get("error").get("message").asText()).isEqualTo("secret is not for you");
  }

  @Test
  void whileTheBackendIsDownCallsFailAtOnceAndWorkAgainWhenItIsBack() throws Exception {
    int port = backend.workerPort();
    result(caller, "stream::set", set("before", "1"));
    open.remove(direct);
    direct.close();
    backend.close();
    backend = null;

    JsonNode failed = caller.call("stream::set", set("during", "2"));
    assertThat(failed.get("error").get("code").asText()).isEqualTo("STREAM_SET_ERROR");
    assertThat(failed.get("error").get("message").asText())
        .startsWith("Failed to set value: bridge ws://")
        .as("it failed because the backend is gone, not after waiting for an answer")
        .containsAnyOf("not connected to the backend engine", "closed before it answered")
        .doesNotContain("no answer");
    JsonNode listFailed = caller.call("stream::list", "{\"stream_name\":\"" + STREAM + "\",\"group_id\":\"" + GROUP + "\"}");
    assertThat(listFailed.get("error").get("code").asText()).isEqualTo("STREAM_GET_GROUP_ERROR");

    backend = IiiEngine.start(EngineConfig.ephemeral().withWorkerPort(port));
    await().atMost(Duration.ofSeconds(20)).until(() -> !caller.call("stream::set", set("after", "3")).has("error"));
    direct = connect(backend);
    assertThat(result(direct, "stream::get", item("after")).asInt()).isEqualTo(3);
  }
}
