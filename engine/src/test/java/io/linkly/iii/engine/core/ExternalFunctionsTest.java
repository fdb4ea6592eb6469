package io.linkly.iii.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The core's hook for functions registered with an {@code invocation} block, with a stand-in hook
 * whose checks take a while (as a name lookup does): the function belongs to the registering
 * worker, and what the worker sends after the registration waits for it, in order.
 */
class ExternalFunctionsTest {

  private static final long CHECK_MS = 300;

  private IiiEngine engine;
  private final List<JsonNode> blocks = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral());
    engine
        .core()
        .useExternalFunctions(
            (id, block) -> {
              blocks.add(block);
              if (block.path("refuse").asBoolean()) {
                return CompletableFuture.failedFuture(new InvocationException("refused_here", "no"));
              }
              BuiltinFunction served = call -> CompletableFuture.completedFuture(Json.object().put("served", id));
              return CompletableFuture.supplyAsync(
                  () -> served, CompletableFuture.delayedExecutor(CHECK_MS, TimeUnit.MILLISECONDS));
            });
  }

  @AfterEach
  void stop() {
    engine.close();
  }

  private static String registration(String id, String block) {
    return "{\"type\":\"registerfunction\",\"id\":\"" + id + "\",\"invocation\":" + block + "}";
  }

  @Test
  void aCallSentRightAfterTheRegistrationWaitsForItsChecks() throws Exception {
    try (RawWorker owner = RawWorker.connect(engine.workerUrl())) {
      owner.send(registration("ext::slow", "{\"url\":\"x\"}"));
      String id = owner.invoke("ext::slow", Json.object(), null);
      JsonNode answer = owner.answer(id);
      assertThat(answer.get("result").get("served").asText()).isEqualTo("ext::slow");
      assertThat(blocks).containsExactly(Json.object().put("url", "x"));
      assertThat(engine.core().function("ext::slow").orElseThrow().owner().id()).isEqualTo(owner.workerId());
    }
  }

  @Test
  void anUnregisterSentWhileTheChecksRunIsAppliedAfterThem() throws Exception {
    try (RawWorker owner = RawWorker.connect(engine.workerUrl())) {
      owner.send(registration("ext::brief", "{}"));
      owner.send("{\"type\":\"unregisterfunction\",\"id\":\"ext::brief\"}");
      owner.send("{\"type\":\"registerfunction\",\"id\":\"ext::marker\"}");
      await().atMost(Duration.ofSeconds(5)).until(() -> engine.core().function("ext::marker").isPresent());
      assertThat(engine.core().function("ext::brief")).isEmpty();
    }
  }

  @Test
  void aWorkerThatLeavesWhileTheChecksRunLeavesNothingBehind() throws Exception {
    RawWorker owner = RawWorker.connect(engine.workerUrl());
    owner.send(registration("ext::orphan", "{}"));
    owner.close();
    Thread.sleep(CHECK_MS * 2);
    assertThat(engine.core().function("ext::orphan")).isEmpty();
  }

  @Test
  void aRefusedRegistrationLeavesNothingAndTheSessionGoesOn() throws Exception {
    try (RawWorker owner = RawWorker.connect(engine.workerUrl())) {
      owner.send(registration("ext::refused", "{\"refuse\":true}"));
      owner.send(registration("ext::next", "{}"));
      await().atMost(Duration.ofSeconds(5)).until(() -> engine.core().function("ext::next").isPresent());
      assertThat(engine.core().function("ext::refused")).isEmpty();
      assertThat(owner.call("ext::refused", Json.object()).get("error").get("code").asText()).isEqualTo("function_not_found");
    }
  }

  @Test
  void aBuiltinNamespaceStaysClosed() throws Exception {
    try (RawWorker owner = RawWorker.connect(engine.workerUrl())) {
      owner.send(registration("engine::functions::list", "{}"));
      owner.send(registration("ext::after", "{}"));
      await().atMost(Duration.ofSeconds(5)).until(() -> engine.core().function("ext::after").isPresent());
      assertThat(engine.core().function("engine::functions::list").orElseThrow().owner().isBuiltin()).isTrue();
    }
  }
}
