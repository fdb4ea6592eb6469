package io.linkly.iii.engine.workers.state;

import static io.linkly.iii.engine.workers.state.Wire.json;
import static io.linkly.iii.engine.workers.state.Wire.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.RawWorker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@code state} trigger type: payload, filters, conditions and metadata (BUILTINS.md §6.3). */
class StateTriggerTest {

  private IiiEngine engine;
  private RawWorker handlerSocket;
  private Responder handlers;
  private RawWorker caller;

  @BeforeEach
  void start() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral());
    handlerSocket = RawWorker.connect(engine.workerUrl());
    handlers = new Responder(handlerSocket);
    caller = RawWorker.connect(engine.workerUrl());
  }

  @AfterEach
  void stop() throws Exception {
    caller.close();
    handlers.close();
    handlerSocket.close();
    engine.close();
  }

  private void bind(String id, String function, String config) {
    handlerSocket.send("{\"type\":\"registertrigger\",\"id\":\"" + id + "\",\"trigger_type\":\"state\",\"function_id\":\""
        + function + "\",\"config\":" + config + ",\"metadata\":{\"binding\":\"" + id + "\"}}");
    await().until(() -> engine.core().triggerBindings().stream().anyMatch(b -> b.id().equals(id)));
  }

  private void set(String scope, String key, String value) throws Exception {
    result(caller, "state::set", "{\"scope\":\"" + scope + "\",\"key\":\"" + key + "\",\"value\":" + value + "}");
  }

  @Test
  void everyWriteFiresWithUpstreamsPayloadAndTheBindingsMetadata() throws Exception {
    handlers.serve("t::on_state");
    bind("t1", "t::on_state", "{}");
    set("users", "u1", "{\"name\":\"Alice\"}");
    JsonNode created = handlers.awaitCall("t::on_state", "u1");
    assertThat(created.get("data").toString()).isEqualTo(
        "{\"type\":\"state\",\"event_type\":\"state:created\",\"scope\":\"users\",\"key\":\"u1\","
            + "\"old_value\":null,\"new_value\":{\"name\":\"Alice\"}}");
    assertThat(created.get("metadata").toString()).isEqualTo("{\"binding\":\"t1\"}");

    result(caller, "state::update", "{\"scope\":\"users\",\"key\":\"u2\",\"ops\":[]}");
    assertThat(handlers.awaitCall("t::on_state", "u2").get("data").get("event_type").asText()).isEqualTo("state:created");

    result(caller, "state::update", "{\"scope\":\"users\",\"key\":\"u1\",\"ops\":[{\"type\":\"set\",\"path\":\"age\",\"value\":3}]}");
    JsonNode updated = handlers.awaitCall("t::on_state", c -> c.get("data").get("event_type").asText().equals("state:updated")).get("data");
    assertThat(updated.get("old_value").toString()).isEqualTo("{\"name\":\"Alice\"}");
    assertThat(updated.get("new_value").toString()).isEqualTo("{\"name\":\"Alice\",\"age\":3}");

    Wire.call(caller, "state::delete", "{\"scope\":\"users\",\"key\":\"u1\"}");
    JsonNode deleted = handlers.awaitCall("t::on_state", c -> c.get("data").get("event_type").asText().equals("state:deleted")).get("data");
    assertThat(deleted.get("old_value").toString()).isEqualTo("{\"name\":\"Alice\",\"age\":3}");
    assertThat(deleted.has("new_value")).isTrue();
    assertThat(deleted.get("new_value").isNull()).isTrue();

    Wire.call(caller, "state::delete", "{\"scope\":\"users\",\"key\":\"never\"}");
    JsonNode missing = handlers.awaitCall("t::on_state", "never").get("data");
    assertThat(missing.get("event_type").asText()).as("upstream fires even for a missing key").isEqualTo("state:deleted");
    assertThat(missing.get("old_value").isNull()).isTrue();
  }

  @Test
  void scopeAndKeyMustMatchExactly() throws Exception {
    for (String f : List.of("t::scope", "t::key", "t::both", "t::empty")) {
      handlers.serve(f);
    }
    bind("by-scope", "t::scope", "{\"scope\":\"orders\"}");
    bind("by-key", "t::key", "{\"key\":\"special\"}");
    bind("by-both", "t::both", "{\"scope\":\"orders\",\"key\":\"o1\"}");
    bind("empty-scope", "t::empty", "{\"scope\":\"\"}");
    set("users", "u1", "1");
    set("orders", "o2", "2");
    set("users", "special", "3");
    set("orders", "o1", "4");
    set("", "e", "5");
    // A last write that every binding but t::empty matches: once all of its calls are in, every
    // earlier event has long been delivered.
    set("orders", "special", "6");
    handlers.awaitCall("t::scope", "special");
    handlers.awaitCall("t::key", "special");
    handlers.awaitCall("t::empty", "e");
    assertThat(newValues("t::scope")).containsExactlyInAnyOrder(2, 4, 6);
    assertThat(newValues("t::key")).containsExactlyInAnyOrder(3, 6);
    assertThat(newValues("t::both")).containsExactly(4);
    assertThat(newValues("t::empty")).as("an empty scope is not a wildcard").containsExactly(5);
  }

  private List<Integer> newValues(String function) {
    return handlers.calls(function).stream().map(c -> c.get("data").get("new_value").asInt()).toList();
  }

  @Test
  void onlyALiteralFalseFromTheConditionSkipsTheHandler() throws Exception {
    handlers.serve("t::guarded");
    handlers.serve("t::cond", call -> "\"result\":" + call.get("data").get("new_value"));
    bind("guarded", "t::guarded", "{\"scope\":\"g\",\"condition_function_id\":\"t::cond\"}");

    set("g", "skip", "false");
    JsonNode condition = handlers.awaitCall("t::cond", "skip");
    assertThat(condition.get("data").get("event_type").asText()).as("the condition gets the handler's payload")
        .isEqualTo("state:created");
    assertThat(condition.has("metadata")).isFalse();

    List<String> proceed = List.of("true", "null", "0", "\"false\"", "{}");
    for (int i = 0; i < proceed.size(); i++) {
      set("g", "go" + i, proceed.get(i));
      handlers.awaitCall("t::guarded", "go" + i);
    }
    assertThat(handlers.calls("t::guarded")).as("the skipped event never reached the handler")
        .noneMatch(c -> c.get("data").get("key").asText().equals("skip"));
  }

  @Test
  void aFailingConditionSkipsItsHandlerAndAFailingHandlerDoesNotStopTheOthers() throws Exception {
    handlers.serve("t::cond_fails", call -> "\"error\":{\"code\":\"boom\",\"message\":\"condition failed\"}");
    handlers.serve("t::skipped");
    handlers.serve("t::failing", call -> "\"error\":{\"code\":\"boom\",\"message\":\"handler failed\"}");
    handlers.serve("t::after");
    bind("a", "t::skipped", "{\"condition_function_id\":\"t::cond_fails\"}");
    bind("b", "t::failing", "{}");
    bind("c", "t::after", "{}");
    set("x", "k", "1");
    handlers.awaitCall("t::cond_fails", "k");
    handlers.awaitCall("t::failing", "k");
    handlers.awaitCall("t::after", "k");
    set("x", "k2", "2");
    handlers.awaitCall("t::after", "k2");
    assertThat(handlers.calls("t::skipped")).isEmpty();
  }

  @Test
  void theWritersResultDoesNotWaitForHandlers() throws Exception {
    bind("slow", "t::never_answers", "{}"); // the function does not exist: every delivery fails
    handlerSocket.send("{\"type\":\"registerfunction\",\"id\":\"t::hangs\"}");
    bind("hangs", "t::hangs", "{}");
    for (int i = 0; i < 3; i++) {
      String id = caller.invoke("state::set", json("{\"scope\":\"s\",\"key\":\"k" + i + "\",\"value\":" + i + "}"), null);
      JsonNode reply = caller.next(m -> id.equals(m.path("invocation_id").asText()), Duration.ofSeconds(5));
      assertThat(reply).as("set k%d is answered although a handler it triggers never answers", i).isNotNull();
      assertThat(reply.has("error")).as("%s", reply).isFalse();
      assertThat(reply.get("result").get("new_value").asInt()).isEqualTo(i);
    }
    for (int i = 0; i < 3; i++) {
      handlers.awaitCall("t::hangs", "k" + i); // each write did reach the handler that hangs
    }
    assertThat(result(caller, "state::get", "{\"scope\":\"s\",\"key\":\"k2\"}").asInt()).isEqualTo(2);
  }

  @Test
  void aConfigThatDoesNotParseIsRejectedToItsOwner() throws Exception {
    try (RawWorker owner = RawWorker.connect(engine.workerUrl())) {
      owner.send("{\"type\":\"registertrigger\",\"id\":\"bad\",\"trigger_type\":\"state\",\"function_id\":\"t::h\",\"config\":{\"scope\":123}}");
      JsonNode rejected = owner.next("triggerregistrationresult");
      assertThat(rejected.get("id").asText()).isEqualTo("bad");
      assertThat(rejected.get("error").get("code").asText()).isEqualTo("trigger_registration_failed");
      assertThat(rejected.get("error").get("message").asText())
          .startsWith("Failed to parse trigger config: invalid type: integer `123`, expected a string");
    }
    JsonNode viaEngine = Wire.call(caller, "engine::register_trigger",
        "{\"trigger_type\":\"state\",\"function_id\":\"t::h\",\"config\":[1]}");
    assertThat(viaEngine.get("error").get("message").asText())
        .isEqualTo("Failed to parse trigger config: invalid type: sequence, expected struct StateTriggerConfig");
  }

  @Test
  void triggersCanBeDisabled() throws Exception {
    try (IiiEngine quiet = IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "triggers_enabled", json("false")));
        RawWorker h = RawWorker.connect(quiet.workerUrl())) {
      h.send("{\"type\":\"registerfunction\",\"id\":\"t::h\"}");
      h.send("{\"type\":\"registertrigger\",\"id\":\"q\",\"trigger_type\":\"state\",\"function_id\":\"t::h\",\"config\":{}}");
      await().until(() -> !quiet.core().triggerBindings().isEmpty());
      result(h, "state::set", "{\"scope\":\"s\",\"key\":\"k\",\"value\":1}");
      result(h, "state::get", "{\"scope\":\"s\",\"key\":\"k\"}");
      assertThat(h.drain(Duration.ofMillis(200))).noneMatch(m -> m.path("type").asText().equals("invokefunction"));
    }
  }
}
