package io.linkly.iii.engine.workers.state;

import static io.linkly.iii.engine.workers.state.Wire.call;
import static io.linkly.iii.engine.workers.state.Wire.json;
import static io.linkly.iii.engine.workers.state.Wire.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * iii-state's {@code bridge} adapter: an engine that keeps no state and forwards {@code state::*}
 * to another engine's worker port (the backend). Upstream's bridge-state scenarios, called on the
 * bridging engine over a real socket, with the backend read directly to see where the data is.
 */
class BridgeStateTest {

  private static final String SCOPE = "bridge-test-scope";

  private final List<AutoCloseable> open = new ArrayList<>();
  private IiiEngine backend;
  private IiiEngine bridging;
  private RawWorker caller; // on the bridging engine
  private RawWorker direct; // on the backend

  @BeforeEach
  void start() throws Exception {
    backend = IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "max_value_bytes", json("64")));
    bridging = bridgingTo(backend.workerUrl());
    caller = connect(bridging);
    direct = connect(backend);
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    if (bridging != null) {
      bridging.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private IiiEngine bridgingTo(String url) throws Exception {
    ObjectNode adapter = Json.object().put("name", "bridge");
    adapter.putObject("config").put("bridge_url", url);
    return IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "adapter", adapter));
  }

  private RawWorker connect(IiiEngine engine) throws Exception {
    RawWorker worker = RawWorker.connect(engine.workerUrl());
    open.add(worker);
    return worker;
  }

  private static String key(String key) {
    return "{\"scope\":\"" + SCOPE + "\",\"key\":\"" + key + "\"}";
  }

  private static String set(String key, String value) {
    return "{\"scope\":\"" + SCOPE + "\",\"key\":\"" + key + "\",\"value\":" + value + "}";
  }

  @Test
  void settingANewItemAnswersNoOldValueAndStoresItOnTheBackend() throws Exception {
    JsonNode reply = call(caller, "state::set", set("item", "{\"name\":\"Test Item\",\"value\":42}"));
    assertThat(reply.get("result").toString()).isEqualTo("{\"old_value\":null,\"new_value\":{\"name\":\"Test Item\",\"value\":42}}");
    assertThat(result(direct, "state::get", key("item")).toString()).isEqualTo("{\"name\":\"Test Item\",\"value\":42}");
  }

  @Test
  void overwritingAnswersTheOldAndTheNewValue() throws Exception {
    result(caller, "state::set", set("item", "{\"value\":1}"));
    JsonNode second = result(caller, "state::set", set("item", "{\"value\":2,\"updated\":true}"));
    assertThat(second.get("old_value").toString()).isEqualTo("{\"value\":1}");
    assertThat(second.get("new_value").toString()).isEqualTo("{\"value\":2,\"updated\":true}");
  }

  @Test
  void getReadsWhatTheBackendHolds() throws Exception {
    result(direct, "state::set", set("written-there", "{\"name\":\"Test\",\"value\":100}"));
    assertThat(result(caller, "state::get", key("written-there")).toString()).isEqualTo("{\"name\":\"Test\",\"value\":100}");
  }

  @Test
  void aMissingItemHasNoResult() throws Exception {
    JsonNode reply = call(caller, "state::get", key("non-existent-item"));
    assertThat(reply.has("error")).isFalse();
    assertThat(reply.has("result")).as("as the backend answers: no result key at all").isFalse();
  }

  @Test
  void deleteRemovesTheItemOnTheBackendAndDeletingNothingIsFine() throws Exception {
    result(caller, "state::set", set("item", "{\"test\":true}"));
    assertThat(result(caller, "state::delete", key("item")).toString()).as("the old raw value").isEqualTo("{\"test\":true}");
    assertThat(call(caller, "state::get", key("item")).has("result")).isFalse();
    assertThat(call(direct, "state::get", key("item")).has("result")).isFalse();
    JsonNode nothing = call(caller, "state::delete", key("non-existent"));
    assertThat(nothing.has("error")).isFalse();
    assertThat(nothing.has("result")).isFalse();
  }

  @Test
  void listGivesEveryItemOfAScope() throws Exception {
    String scope = "bridge-state-list";
    for (int i = 1; i <= 3; i++) {
      result(caller, "state::set",
          "{\"scope\":\"" + scope + "\",\"key\":\"state-item" + i + "\",\"value\":{\"id\":\"state-item" + i + "\",\"value\":" + i + "}}");
    }
    JsonNode list = result(caller, "state::list", "{\"scope\":\"" + scope + "\"}");
    assertThat(list.toString()).isEqualTo(
        "[{\"id\":\"state-item1\",\"value\":1},{\"id\":\"state-item2\",\"value\":2},{\"id\":\"state-item3\",\"value\":3}]");
    assertThat(result(direct, "state::list", "{\"scope\":\"" + scope + "\"}")).isEqualTo(list);
    assertThat(result(caller, "state::list", "{\"scope\":\"nothing-here\"}").toString()).isEqualTo("[]");
    assertThat(result(caller, "state::list_groups", "{}").get("groups").toString()).contains("\"" + scope + "\"");
  }

  @Test
  void updateOpsRunOnTheBackendAndTheirErrorsComeBack() throws Exception {
    result(caller, "state::set", set("counter", "{\"n\":1,\"s\":\"x\"}"));
    JsonNode updated = result(caller, "state::update",
        "{\"scope\":\"" + SCOPE + "\",\"key\":\"counter\",\"ops\":["
            + "{\"type\":\"increment\",\"path\":\"n\",\"by\":2},"
            + "{\"type\":\"increment\",\"path\":\"s\",\"by\":1},"
            + "{\"type\":\"merge\",\"path\":[\"a.b\",\"c\"],\"value\":{\"d\":1}}]}");
    assertThat(updated.get("old_value").toString()).isEqualTo("{\"n\":1,\"s\":\"x\"}");
    assertThat(updated.get("new_value").toString()).isEqualTo("{\"n\":3,\"s\":\"x\",\"a.b\":{\"c\":{\"d\":1}}}");
    assertThat(updated.get("errors")).hasSize(1);
    assertThat(updated.get("errors").get(0).get("op_index").asInt()).isEqualTo(1);
    assertThat(updated.get("errors").get(0).get("code").asText()).isEqualTo("increment.not_number");
    assertThat(result(direct, "state::get", key("counter"))).isEqualTo(updated.get("new_value"));
  }

  @Test
  void anErrorOfTheBackendReachesTheCallerUnchanged() throws Exception {
    // the backend limits values to 64 bytes; the bridging engine has no limit of its own
    JsonNode reply = call(caller, "state::set", set("big", "\"" + "x".repeat(100) + "\""));
    assertThat(reply.get("error").get("code").asText()).isEqualTo("VALUE_TOO_LARGE");
    assertThat(reply.get("error").get("message").asText())
        .isEqualTo("value of 102 bytes exceeds the configured max_value_bytes limit of 64");
  }

  @Test
  void whileTheBackendIsDownCallsFailAtOnceAndWorkAgainWhenItIsBack() throws Exception {
    int port = backend.workerPort();
    result(caller, "state::set", set("before", "1"));
    open.remove(direct);
    direct.close();
    backend.close();
    backend = null;

    JsonNode failed = call(caller, "state::get", key("before"));
    assertThat(failed.get("error").get("code").asText()).isEqualTo("GET_ERROR");
    assertThat(failed.get("error").get("message").asText())
        .startsWith("Failed to get value: bridge ws://")
        .as("it failed because the backend is gone, not after waiting for an answer")
        .containsAnyOf("not connected to the backend engine", "closed before it answered")
        .doesNotContain("no answer");

    backend = IiiEngine.start(EngineConfig.ephemeral().withWorkerPort(port));
    await().atMost(Duration.ofSeconds(20)).until(() -> !call(caller, "state::set", set("after", "2")).has("error"));
    direct = connect(backend);
    assertThat(result(direct, "state::get", key("after")).asInt()).as("the new backend has it").isEqualTo(2);
    assertThat(call(caller, "state::get", key("before")).has("result")).as("the old backend's state went with it").isFalse();
  }

  @Test
  void anEngineWhoseBackendIsNotUpYetStartsAndBridgesOnceItIs() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    try (IiiEngine early = bridgingTo("ws://127.0.0.1:" + port)) {
      RawWorker earlyCaller = connect(early);
      JsonNode failed = call(earlyCaller, "state::get", key("x"));
      assertThat(failed.get("error").get("message").asText())
          .isEqualTo("Failed to get value: bridge ws://127.0.0.1:" + port
              + ": not connected to the backend engine (connection refused); retrying in the background");
      JsonNode health = result(earlyCaller, "engine::health::check", "{}");
      assertThat(health.toString()).contains("not connected to the backend engine at ws://127.0.0.1:" + port);

      try (IiiEngine late = IiiEngine.start(EngineConfig.ephemeral().withWorkerPort(port))) {
        await().atMost(Duration.ofSeconds(20)).until(() -> !call(earlyCaller, "state::set", set("x", "\"late\"")).has("error"));
        try (RawWorker there = RawWorker.connect(late.workerUrl())) {
          assertThat(result(there, "state::get", key("x")).asText()).isEqualTo("late");
        }
      }
    }
  }
}
