package io.linkly.iii.engine.workers.state;

import static io.linkly.iii.engine.workers.state.Wire.call;
import static io.linkly.iii.engine.workers.state.Wire.json;
import static io.linkly.iii.engine.workers.state.Wire.result;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@code state::*} functions of the default (in-memory) store, called over the worker socket. */
class StateFunctionsTest {

  private IiiEngine engine;
  private RawWorker worker;

  @BeforeEach
  void start() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "max_value_bytes", json("64")));
    worker = RawWorker.connect(engine.workerUrl());
  }

  @AfterEach
  void stop() {
    worker.close();
    engine.close();
  }

  @Test
  void runsWithoutAConfigFileAndListsItsFunctions() throws Exception {
    try (IiiEngine bare = IiiEngine.start(EngineConfig.ephemeral());
        RawWorker w = RawWorker.connect(bare.workerUrl())) {
      JsonNode info = result(w, "engine::workers::info", "{\"name\":\"iii-state\"}");
      List<String> functions = new ArrayList<>();
      info.get("functions").forEach(f -> functions.add(f.asText()));
      assertThat(functions).containsExactly( // and its internal configuration handler (BUILTINS.md §0.5)
          "iii-state::on-config-change", "state::delete", "state::get", "state::list", "state::list_groups", "state::set", "state::update");
      assertThat(info.get("trigger_types").toString()).isEqualTo("[\"state\"]");
      JsonNode set = result(w, "engine::functions::info", "{\"function_id\":\"state::set\"}");
      assertThat(set.get("description").asText()).isEqualTo("Set a value in state");
      assertThat(set.get("request_schema").get("required").toString()).isEqualTo("[\"scope\",\"key\",\"value\"]");
      assertThat(set.has("response_schema")).isTrue();
      assertThat(result(w, "engine::functions::info", "{\"function_id\":\"state::get\"}").has("response_schema"))
          .as("raw JSON outputs have no response schema")
          .isFalse();
    }
  }

  @Test
  void setReturnsOldAndNewWithOldValueNullPresent() throws Exception {
    JsonNode first = call(worker, "state::set", "{\"scope\":\"users\",\"key\":\"u1\",\"value\":{\"name\":\"Alice\"}}");
    assertThat(first.get("result").toString()).isEqualTo("{\"old_value\":null,\"new_value\":{\"name\":\"Alice\"}}");
    JsonNode second = result(worker, "state::set", "{\"scope\":\"users\",\"key\":\"u1\",\"data\":{\"name\":\"Bob\"}}");
    assertThat(second.toString()).as("data is an alias of value")
        .isEqualTo("{\"old_value\":{\"name\":\"Alice\"},\"new_value\":{\"name\":\"Bob\"}}");
  }

  @Test
  void getReturnsTheBareValueOrNoResult() throws Exception {
    result(worker, "state::set", "{\"scope\":\"s\",\"key\":\"k\",\"value\":[1,2]}");
    assertThat(call(worker, "state::get", "{\"scope\":\"s\",\"key\":\"k\"}").get("result").toString()).isEqualTo("[1,2]");
    JsonNode missing = call(worker, "state::get", "{\"scope\":\"s\",\"key\":\"nope\"}");
    assertThat(missing.has("result")).as("a missing key has no result key at all").isFalse();
    assertThat(missing.has("error")).isFalse();
    assertThat(call(worker, "state::get", "{\"scope\":\"other\",\"key\":\"k\"}").has("result")).isFalse();
  }

  @Test
  void deleteReturnsTheOldRawValueOrNothing() throws Exception {
    result(worker, "state::set", "{\"scope\":\"s\",\"key\":\"k\",\"value\":\"hello\"}");
    assertThat(call(worker, "state::delete", "{\"scope\":\"s\",\"key\":\"k\"}").get("result").asText()).isEqualTo("hello");
    JsonNode again = call(worker, "state::delete", "{\"scope\":\"s\",\"key\":\"k\"}");
    assertThat(again.has("result")).isFalse();
    assertThat(again.has("error")).isFalse();
    assertThat(call(worker, "state::get", "{\"scope\":\"s\",\"key\":\"k\"}").has("result")).isFalse();
  }

  @Test
  void listKeepsFirstInsertionOrderAcrossOverwritesAndDeletes() throws Exception {
    for (String k : List.of("c", "a", "b", "d")) {
      result(worker, "state::set", "{\"scope\":\"order\",\"key\":\"" + k + "\",\"value\":\"" + k + "\"}");
    }
    result(worker, "state::set", "{\"scope\":\"order\",\"key\":\"a\",\"value\":\"a2\"}");
    call(worker, "state::delete", "{\"scope\":\"order\",\"key\":\"b\"}");
    result(worker, "state::set", "{\"scope\":\"order\",\"key\":\"b\",\"value\":\"b2\"}");
    assertThat(result(worker, "state::list", "{\"scope\":\"order\"}").toString()).isEqualTo("[\"c\",\"a2\",\"d\",\"b2\"]");
    assertThat(result(worker, "state::list", "{\"scope\":\"empty\"}").toString()).isEqualTo("[]");
  }

  @Test
  void listGroupsIsSortedAndKeepsScopesEmptiedSinceStart() throws Exception {
    assertThat(result(worker, "state::list_groups", "{}").toString()).isEqualTo("{\"groups\":[]}");
    for (String scope : List.of("gamma", "alpha", "beta", "alpha")) {
      result(worker, "state::set", "{\"scope\":\"" + scope + "\",\"key\":\"k\",\"value\":1}");
    }
    call(worker, "state::delete", "{\"scope\":\"beta\",\"key\":\"k\"}");
    call(worker, "state::get", "{\"scope\":\"never-written\",\"key\":\"k\"}");
    assertThat(result(worker, "state::list_groups", "{}").toString()).isEqualTo("{\"groups\":[\"alpha\",\"beta\",\"gamma\"]}");
  }

  @Test
  void updateAppliesOpsAndReportsFailedOnesWithoutFailingTheCall() throws Exception {
    JsonNode created = result(worker, "state::update",
        "{\"scope\":\"c\",\"key\":\"n\",\"ops\":[{\"type\":\"increment\",\"path\":\"count\",\"by\":2}]}");
    assertThat(created.toString()).isEqualTo("{\"old_value\":null,\"new_value\":{\"count\":2}}");
    JsonNode partial = result(worker, "state::update", """
        {"scope":"c","key":"n","ops":[{"type":"increment","path":"count","by":3},
                                      {"type":"merge","path":["__proto__"],"value":{"x":1}}]}""");
    assertThat(partial.get("old_value").toString()).isEqualTo("{\"count\":2}");
    assertThat(partial.get("new_value").toString()).isEqualTo("{\"count\":5}");
    assertThat(partial.get("errors").toString()).isEqualTo(
        "[{\"op_index\":1,\"code\":\"merge.path.proto_polluted\",\"message\":\"Path segment '__proto__' is not allowed"
            + " (prototype pollution).\",\"doc_url\":\"https://iii.dev/docs/workers/iii-state#error-codes\"}]");
    assertThat(result(worker, "state::get", "{\"scope\":\"c\",\"key\":\"n\"}").toString()).isEqualTo("{\"count\":5}");
  }

  @Test
  void anUpdateWhereEveryOpFailsStillCreatesTheKey() throws Exception {
    JsonNode out = result(worker, "state::update",
        "{\"scope\":\"c\",\"key\":\"z\",\"ops\":[{\"type\":\"remove\",\"path\":\"constructor\"}]}");
    assertThat(out.get("new_value").toString()).isEqualTo("{}");
    assertThat(out.get("errors")).hasSize(1);
    assertThat(result(worker, "state::get", "{\"scope\":\"c\",\"key\":\"z\"}").toString()).isEqualTo("{}");
  }

  @Test
  void badInputsAreDeserializationErrorsAndChangeNothing() throws Exception {
    assertError(call(worker, "state::set", "{\"scope\":\"s\",\"key\":\"k\"}"),
        "deserialization_error", "Failed to deserialize input for state::set: missing field `value`");
    assertError(call(worker, "state::set", "{\"scope\":\"s\",\"key\":1,\"value\":1}"),
        "deserialization_error", null);
    assertError(call(worker, "state::set", "{\"scope\":\"s\",\"key\":\"k\",\"value\":1,\"data\":2}"),
        "deserialization_error", "Failed to deserialize input for state::set: duplicate field `value`");
    assertError(call(worker, "state::get", "{\"key\":\"k\"}"),
        "deserialization_error", "Failed to deserialize input for state::get: missing field `scope`");
    assertError(call(worker, "state::update", "{\"scope\":\"s\",\"key\":\"k\"}"),
        "deserialization_error", "Failed to deserialize input for state::update: missing field `ops`");
    assertError(call(worker, "state::update", "{\"scope\":\"s\",\"key\":\"k\",\"ops\":[{\"type\":\"nope\"}]}"),
        "deserialization_error", null);
    assertError(call(worker, "state::list", "[]"), "deserialization_error", null);
    assertThat(result(worker, "state::list_groups", "{}").get("groups")).isEmpty();
  }

  @Test
  void aValueOverMaxValueBytesIsRejected() throws Exception {
    String big = "\"" + "x".repeat(100) + "\"";
    assertError(call(worker, "state::set", "{\"scope\":\"s\",\"key\":\"k\",\"value\":" + big + "}"),
        "VALUE_TOO_LARGE", "value of 102 bytes exceeds the configured max_value_bytes limit of 64");
    assertThat(call(worker, "state::get", "{\"scope\":\"s\",\"key\":\"k\"}").has("result")).isFalse();
    String fits = "\"" + "x".repeat(62) + "\"";
    assertThat(result(worker, "state::set", "{\"scope\":\"s\",\"key\":\"k\",\"value\":" + fits + "}").get("new_value").asText())
        .hasSize(62);
    assertThat(result(worker, "state::update",
        "{\"scope\":\"s\",\"key\":\"u\",\"ops\":[{\"type\":\"set\",\"path\":\"\",\"value\":" + big + "}]}").get("new_value").asText())
        .as("update is not size-guarded, as upstream")
        .hasSize(100);
  }

  @Test
  void storedNullIsAValueNotAMissingKey() throws Exception {
    assertThat(result(worker, "state::set", "{\"scope\":\"s\",\"key\":\"n\",\"value\":null}").toString())
        .isEqualTo("{\"old_value\":null,\"new_value\":null}");
    assertThat(result(worker, "state::list", "{\"scope\":\"s\"}").toString()).isEqualTo("[null]");
  }

  @Test
  void concurrentUpdatesOfOneKeyNeverLoseAnIncrement() throws Exception {
    int workers = 4;
    int perWorker = 100;
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int w = 0; w < workers; w++) {
      threads.add(Thread.ofVirtual().start(() -> {
        try (RawWorker client = RawWorker.connect(engine.workerUrl())) {
          for (int i = 0; i < perWorker; i++) {
            result(client, "state::update",
                "{\"scope\":\"hot\",\"key\":\"counter\",\"ops\":[{\"type\":\"increment\",\"path\":\"n\",\"by\":1}]}");
          }
        } catch (Throwable t) {
          failures.add(t);
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(failures).isEmpty();
    assertThat(result(worker, "state::get", "{\"scope\":\"hot\",\"key\":\"counter\"}").get("n").asInt())
        .isEqualTo(workers * perWorker);
  }

  static void assertError(JsonNode reply, String code, String message) {
    assertThat(reply.has("result")).isFalse();
    assertThat(reply.get("error").get("code").asText()).isEqualTo(code);
    if (message != null) {
      assertThat(reply.get("error").get("message").asText()).isEqualTo(message);
    }
    assertThat(Json.write(reply.get("error"))).doesNotContain("stacktrace");
  }
}
