package io.linkly.iii.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The engine::* introspection functions, called as a worker would, with upstream's shapes. */
class EngineFunctionsTest {

  private IiiEngine engine;
  private RawWorker worker;

  @BeforeEach
  void start() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral());
    worker = RawWorker.connect(engine.workerUrl());
  }

  @AfterEach
  void stop() {
    worker.close();
    engine.close();
  }

  private JsonNode call(String function, String data) throws Exception {
    return worker.call(function, data);
  }

  /** Drops the functions of default-on built-in workers (state::* and the like). */
  private static JsonNode withoutBuiltins(JsonNode functions) {
    var out = io.linkly.iii.protocol.Json.mapper().createArrayNode();
    functions.forEach(f -> {
      if (!f.path("worker_name").asText().startsWith("iii-") && !f.path("worker_name").asText().equals("configuration")) {
        out.add(f);
      }
    });
    return out;
  }

  private static List<String> texts(JsonNode array, String field) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.get(field).asText()));
    return out;
  }

  @Test
  void functionsListHidesEngineFunctionsUnlessAsked() throws Exception {
    worker.send("{\"type\":\"registerfunction\",\"id\":\"b::two\",\"description\":\"second\",\"metadata\":{\"k\":1}}");
    worker.send("{\"type\":\"registerfunction\",\"id\":\"a::one\"}");
    worker.send("{\"type\":\"registerfunction\",\"id\":\"a::hidden\",\"metadata\":{\"internal\":true}}");
    await().until(() -> engine.core().function("a::hidden").isPresent());

    JsonNode plain = withoutBuiltins(call("engine::functions::list", "{}").get("result").get("functions"));
    assertThat(texts(plain, "function_id")).containsExactly("a::one", "b::two");
    assertThat(texts(call("engine::functions::list", "{}").get("result").get("functions"), "function_id"))
        .as("public functions of default built-ins are listed, as upstream")
        .contains("publish", "state::get", "stream::set");
    assertThat(plain.get(1).get("description").asText()).isEqualTo("second");
    assertThat(plain.get(1).get("metadata").get("k").asInt()).isEqualTo(1);
    assertThat(plain.get(0).has("description")).isFalse();

    JsonNode all = call("engine::functions::list", "{\"include_internal\":true}").get("result").get("functions");
    assertThat(texts(all, "function_id")).contains("a::hidden", "engine::functions::list", "engine::health::check");

    JsonNode prefixed = call("engine::functions::list", "{\"prefix\":\"b::\"}").get("result").get("functions");
    assertThat(texts(prefixed, "function_id")).containsExactly("b::two");
  }

  @Test
  void channelsCreateGivesUpstreamsRefsAndRefusesPastTheOpenChannelBound() throws Exception {
    JsonNode made = call("engine::channels::create", "{\"buffer_size\":5000}").get("result");
    assertThat(made.get("writer").get("direction").asText()).isEqualTo("write");
    assertThat(made.get("reader").get("direction").asText()).isEqualTo("read");
    assertThat(made.get("reader").get("channel_id")).isEqualTo(made.get("writer").get("channel_id"));
    assertThat(made.get("reader").get("access_key")).isEqualTo(made.get("writer").get("access_key"));
    assertThat(made.get("reader").size()).isEqualTo(3);
    while (engine.channels().openCount() < io.linkly.iii.engine.channels.DataChannels.MAX_OPEN) {
      engine.channels().create(1); // straight to the table: 100,000 calls would take the test's time
    }
    JsonNode refused = call("engine::channels::create", "{}");
    assertThat(refused.get("error").get("code").asText()).isEqualTo("too_many_channels");
  }

  @Test
  void functionsInfoSingleAndBatch() throws Exception {
    worker.send("{\"type\":\"registerfunction\",\"id\":\"a::one\",\"request_format\":{\"type\":\"object\"}}");
    await().until(() -> engine.core().function("a::one").isPresent());
    JsonNode one = call("engine::functions::info", "{\"function_id\":\"a::one\"}").get("result");
    assertThat(one.get("function_id").asText()).isEqualTo("a::one");
    assertThat(one.get("request_schema").get("type").asText()).isEqualTo("object");
    assertThat(one.get("registered_triggers").isArray()).isTrue();

    JsonNode batch = call("engine::functions::info", "{\"function_ids\":[\"a::one\",\"x::none\",\"a::one\"]}")
        .get("result").get("functions");
    assertThat(batch).hasSize(2);
    assertThat(batch.get(1).get("error").asText()).isEqualTo("not_found");

    assertThat(call("engine::functions::info", "{\"function_id\":\"x::none\"}").get("error").get("code").asText())
        .isEqualTo("NOT_FOUND");
    assertThat(call("engine::functions::info", "{}").get("error").get("code").asText()).isEqualTo("INVALID_ARGUMENTS");
    assertThat(call("engine::functions::info", "{\"function_id\":7}").get("error").get("code").asText())
        .isEqualTo("deserialization_error");
  }

  @Test
  void workersRegisterThenListAndInfo() throws Exception {
    worker.send("{\"type\":\"registerfunction\",\"id\":\"a::one\"}");
    JsonNode ack = call("engine::workers::register",
        "{\"runtime\":\"node\",\"version\":\"0.22.1\",\"name\":\"my-worker\",\"os\":\"linux\",\"pid\":4242}");
    assertThat(ack.get("result").get("success").asBoolean()).isTrue();

    JsonNode workers = call("engine::workers::list", "{}").get("result").get("workers");
    JsonNode mine = null;
    for (JsonNode w : workers) {
      if (w.get("id").asText().equals(worker.workerId())) {
        mine = w;
      }
    }
    assertThat(mine).isNotNull();
    assertThat(mine.get("name").asText()).isEqualTo("my-worker");
    assertThat(mine.get("runtime").asText()).isEqualTo("node");
    assertThat(mine.get("function_count").asInt()).isEqualTo(1);
    assertThat(mine.get("ip_address").asText()).isEqualTo("127.0.0.1");
    assertThat(texts(workers, "runtime")).contains("engine");

    JsonNode info = call("engine::workers::info", "{\"name\":\"my-worker\"}").get("result");
    assertThat(info.get("worker").get("pid").asLong()).isEqualTo(4242);
    assertThat(info.get("worker").get("internal").asBoolean()).isFalse();
    assertThat(info.get("functions")).hasSize(1);
    assertThat(call("engine::workers::info", "{\"name\":\"nobody\"}").get("error").get("message").asText())
        .isEqualTo("Worker 'nobody' is not connected.");
  }

  @Test
  void ownerlessTriggersOutliveTheirCaller() throws Exception {
    JsonNode created = call("engine::register_trigger",
        "{\"trigger_type\":\"engine::workers-available\",\"function_id\":\"a::watch\",\"config\":{}}").get("result");
    String id = created.get("id").asText();
    worker.close();
    worker = RawWorker.connect(engine.workerUrl());
    JsonNode list = call("engine::registered-triggers::list", "{}").get("result").get("registered_triggers");
    assertThat(texts(list, "id")).containsExactly(id);
    assertThat(list.get(0).get("config_summary").asText()).isEqualTo("{}");
    assertThat(call("engine::unregister_trigger", "{\"id\":\"" + id + "\"}").get("result").get("removed").asBoolean()).isTrue();
    assertThat(call("engine::unregister_trigger", "{\"id\":\"" + id + "\"}").get("result").get("removed").asBoolean()).isFalse();
  }

  @Test
  void workersAvailableFiresOnConnect() throws Exception {
    worker.send("{\"type\":\"registerfunction\",\"id\":\"a::watch\"}");
    worker.send("{\"type\":\"registertrigger\",\"id\":\"w1\",\"trigger_type\":\"engine::workers-available\",\"function_id\":\"a::watch\",\"config\":{}}");
    await().until(() -> !engine.core().triggerBindings().isEmpty());
    try (RawWorker other = RawWorker.connect(engine.workerUrl())) {
      JsonNode fired = worker.next(m -> m.path("type").asText().equals("invokefunction")
          && m.get("data").path("worker_id").asText().equals(other.workerId()));
      assertThat(fired.get("data").get("event").asText()).isEqualTo("worker_connected");
    }
  }

  @Test
  void triggerTypesListAndHealth() throws Exception {
    JsonNode types = call("engine::triggers::list", "{\"include_internal\":true}").get("result").get("triggers");
    assertThat(texts(types, "id")).contains("engine::workers-available");
    List<String> visible = texts(call("engine::triggers::list", "{}").get("result").get("triggers"), "id");
    assertThat(visible).contains("http", "state").noneMatch(id -> id.startsWith("engine::"));
    JsonNode health = call("engine::health::check", "{}").get("result");
    assertThat(health.get("status").asText()).isEqualTo("healthy");
    assertThat(health.get("version").asText()).isEqualTo("0.22.1");
    // upstream's shape: {status, details}
    assertThat(health.get("components").get("logs").get("status").asText()).isEqualTo("healthy");
    assertThat(health.get("components").get("spans").get("status").asText()).isEqualTo("healthy"); // tracing keeps its spans in memory by default
    for (String component : List.of("listener:iii-http", "listener:iii-stream", "state_store", "stream_store")) {
      assertThat(health.get("components").get(component)).as(component).isEqualTo(Json.mapper().readTree("{\"status\":\"ok\"}"));
    }
  }

  @Test
  void healthIsTheWorstOfItsComponentsAndSaysWhy() throws Exception {
    engine.core().registerHealthCheck("test:slow", () -> Health.degraded("slow on purpose"));
    JsonNode degraded = call("engine::health::check", "{}").get("result");
    assertThat(degraded.get("status").asText()).isEqualTo("degraded");
    assertThat(degraded.get("components").get("test:slow").get("reason").asText()).isEqualTo("slow on purpose");
    engine.core().registerHealthCheck("test:broken", () -> Health.failing("broken on purpose"));
    engine.core().registerHealthCheck("test:throws", () -> {
      throw new IllegalStateException("boom");
    });
    JsonNode failing = call("engine::health::check", "{}").get("result");
    assertThat(failing.get("status").asText()).isEqualTo("failing");
    assertThat(failing.get("components").get("test:broken").get("status").asText()).isEqualTo("failing");
    assertThat(failing.get("components").get("test:throws").get("reason").asText()).contains("boom");
  }

  @Test
  void logFunctionsStoreLines() throws Exception {
    assertThat(call("engine::log::info", "{\"message\":\"hello\",\"data\":{\"n\":1}}").has("result")).isFalse();
    JsonNode logs = call("engine::logs::list", "{}").get("result");
    assertThat(logs.get("total").asInt()).isEqualTo(1);
    assertThat(logs.get("logs").get(0).get("body").asText()).isEqualTo("hello");
    assertThat(logs.get("logs").get(0).get("attributes").get("log.data").get("n").asInt()).isEqualTo(1);
    assertThat(call("engine::log::info", "{}").get("error").get("code").asText()).isEqualTo("deserialization_error");
  }
}
