package io.linkly.iii.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.protocol.Json;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What is particular to a worker in the engine's own JVM. */
class InProcessLinkTest {

  private IiiEngine engine;

  @BeforeEach
  void start() {
    engine = TestSupport.startEngine(EngineConfig.ephemeral());
  }

  @AfterEach
  void stop() {
    engine.close();
  }

  @Test
  void inProcessAndSocketWorkersCallEachOther() throws Exception {
    try (Iii local = TestSupport.worker(engine, "local", TestSupport.Link.IN_PROCESS);
        Iii remote = TestSupport.worker(engine, "remote", TestSupport.Link.SOCKET)) {
      local.registerFunction("local::twice", (data, ctx) -> data.path("n").asInt() * 2);
      remote.registerFunction("remote::plus", (data, ctx) -> data.path("n").asInt() + 1);
      TestSupport.sync(local);
      TestSupport.sync(remote);
      assertThat(remote.trigger(TriggerRequest.of("local::twice", Map.of("n", 21))).asInt()).isEqualTo(42);
      assertThat(local.trigger(TriggerRequest.of("remote::plus", Map.of("n", 41))).asInt()).isEqualTo(42);
      assertThat(engine.core().worker(local.workerId()).orElseThrow().displayName()).isEqualTo("local");
    }
  }

  @Test
  void eachSideHasItsOwnCopyOfAPayload() throws Exception {
    try (Iii local = TestSupport.worker(engine, "local", TestSupport.Link.IN_PROCESS)) {
      ObjectNode kept = Json.object();
      local.registerFunction(
          "local::scribble",
          (data, ctx) -> {
            ((ObjectNode) data).put("scribbled", true);
            kept.set("last", data);
            return kept;
          });
      ObjectNode request = Json.object().put("n", 1);
      JsonNode result = local.trigger(TriggerRequest.of("local::scribble", request));
      assertThat(request.has("scribbled")).as("the caller's request is untouched").isFalse();
      ((ObjectNode) result).put("changed-by-caller", true);
      assertThat(kept.has("changed-by-caller")).as("the handler's object is untouched").isFalse();

      ObjectNode value = Json.object().put("url", "https://iii.dev");
      local.trigger(TriggerRequest.of("state::set", Map.of("scope", "s", "key", "k", "value", value)));
      value.put("url", "https://changed.example");
      JsonNode stored = local.trigger(TriggerRequest.of("state::get", Map.of("scope", "s", "key", "k")));
      assertThat(stored.path("url").asText()).isEqualTo("https://iii.dev");

      // the engine keeps the trees a worker sends without copying them: the SDK must not send one
      // its user still holds, given whole or inside a map or a list
      ObjectNode whole = Json.object().put("scope", "s").put("key", "whole");
      whole.putObject("value").put("url", "https://iii.dev");
      local.trigger(TriggerRequest.of("state::set", whole));
      ((ObjectNode) whole.get("value")).put("url", "https://changed.example");
      ObjectNode inList = Json.object().put("url", "https://iii.dev");
      local.trigger(TriggerRequest.of("state::set", Map.of("scope", "s", "key", "list", "value", java.util.List.of(inList))));
      inList.put("url", "https://changed.example");
      ObjectNode logged = Json.object().put("url", "https://iii.dev");
      local.logger("scribbler").info("a line with data", logged);
      logged.put("url", "https://changed.example");
      assertThat(local.trigger(TriggerRequest.of("state::get", Map.of("scope", "s", "key", "whole"))).path("url").asText())
          .isEqualTo("https://iii.dev");
      assertThat(local.trigger(TriggerRequest.of("state::get", Map.of("scope", "s", "key", "list"))).path(0).path("url").asText())
          .isEqualTo("https://iii.dev");
      JsonNode lines = local.trigger(TriggerRequest.of("engine::logs::list", Map.of()));
      assertThat(lines.toString()).contains("a line with data").doesNotContain("changed.example");
    }
  }

  @Test
  void callsInFlightFailWhenTheEngineStops() throws Exception {
    Iii local = TestSupport.worker(engine, "local", TestSupport.Link.IN_PROCESS);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try {
      local.registerFunction(
          "local::hang",
          (data, ctx) -> {
            started.countDown();
            release.await(30, TimeUnit.SECONDS);
            return "late";
          });
      CompletableFuture<JsonNode> call = local.triggerAsync(TriggerRequest.of("local::hang", Map.of()));
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
      engine.close();
      assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(IiiException.class);
      assertThatThrownBy(() -> local.trigger(TriggerRequest.of("local::hang", Map.of())))
          .isInstanceOf(IiiException.class)
          .hasMessageContaining("stopped");
    } finally {
      release.countDown();
      local.shutdown();
    }
  }
}
