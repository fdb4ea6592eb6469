package io.linkly.iii.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.RawWorker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Garbage on the worker socket is dropped and counted; the socket stays open (upstream keeps it
 * open too) and a normal call through it still works afterwards.
 */
class ProtocolRobustnessTest {

  private static IiiEngine engine;
  private static RawWorker executor;

  @BeforeAll
  static void start() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral());
    executor = RawWorker.connect(engine.workerUrl());
    executor.send("{\"type\":\"registerfunction\",\"id\":\"echo::it\"}");
    await().until(() -> engine.core().function("echo::it").isPresent());
  }

  @AfterAll
  static void stop() {
    executor.close();
    engine.close();
  }

  /** A full round trip through {@code sender}: proves both the socket and the engine still work. */
  private static void assertCallStillWorks(RawWorker sender) throws Exception {
    UUID id = UUID.randomUUID();
    sender.send(
        "{\"type\":\"invokefunction\",\"invocation_id\":\"" + id + "\",\"function_id\":\"echo::it\",\"data\":{\"ok\":1}}");
    JsonNode call = executor.next("invokefunction", Duration.ofSeconds(10));
    assertThat(call).as("the executor got the call").isNotNull();
    executor.send(
        "{\"type\":\"invocationresult\",\"invocation_id\":\"" + call.get("invocation_id").asText()
            + "\",\"function_id\":\"echo::it\",\"result\":" + call.get("data") + "}");
    JsonNode result = sender.next(m -> m.path("invocation_id").asText().equals(id.toString()), Duration.ofSeconds(10));
    assertThat(result).as("the caller got the result").isNotNull();
    assertThat(result.get("result").get("ok").asInt()).isEqualTo(1);
  }

  @Test
  void invalidJsonUnknownTypesAndWrongFieldTypesAreDropped() throws Exception {
    try (RawWorker w = RawWorker.connect(engine.workerUrl())) {
      long before = engine.droppedFrames();
      String[] garbage = {
        "this is not json",
        "{\"type\":",
        "[]",
        "42",
        "{\"type\":\"launchmissiles\"}",
        "{\"type\":\"registerfunction\",\"id\":123}",
        "{\"type\":\"registerfunction\"}",
        "{\"type\":\"invokefunction\",\"invocation_id\":\"not-a-uuid\",\"function_id\":\"echo::it\",\"data\":{}}",
        "{\"type\":\"invokefunction\",\"function_id\":\"echo::it\"}",
        "{\"type\":\"invokefunction\",\"function_id\":[\"echo::it\"],\"data\":{}}",
        "{\"type\":\"invocationresult\",\"invocation_id\":\"" + UUID.randomUUID() + "\",\"function_id\":\"x\",\"error\":\"boom\"}",
        "{\"type\":\"registertrigger\",\"id\":\"b\",\"trigger_type\":\"t\",\"function_id\":\"f\"}",
      };
      for (String frame : garbage) {
        w.send(frame);
      }
      w.sendBinary("\u0000\u0001 binary garbage".getBytes(StandardCharsets.UTF_8));
      w.send("   \n");
      assertCallStillWorks(w);
      assertThat(w.isOpen()).isTrue();
      assertThat(w.drain(Duration.ofMillis(100))).as("nothing is sent back for a bad frame").isEmpty();
      assertThat(engine.droppedFrames() - before).isEqualTo(garbage.length + 1);
    }
  }

  @Test
  void aTenMebibyteFrameIsTakenWithoutClosingTheSocket() throws Exception {
    try (RawWorker w = RawWorker.connect(engine.workerUrl())) {
      long before = engine.droppedFrames();
      byte[] junk = new byte[10 * 1024 * 1024];
      Arrays.fill(junk, (byte) 'x');
      w.send(new String(junk, StandardCharsets.US_ASCII));
      await().until(() -> engine.droppedFrames() > before);
      assertCallStillWorks(w);

      // a valid 10 MiB payload is routed like any other
      String big = "a".repeat(10 * 1024 * 1024);
      UUID id = UUID.randomUUID();
      w.send("{\"type\":\"invokefunction\",\"invocation_id\":\"" + id
          + "\",\"function_id\":\"echo::it\",\"data\":{\"big\":\"" + big + "\"}}");
      JsonNode call = executor.next("invokefunction", Duration.ofSeconds(20));
      assertThat(call.get("data").get("big").asText()).hasSize(big.length());
      executor.send("{\"type\":\"invocationresult\",\"invocation_id\":\"" + call.get("invocation_id").asText()
          + "\",\"function_id\":\"echo::it\",\"result\":{\"len\":" + big.length() + "}}");
      JsonNode result = w.next(m -> m.path("invocation_id").asText().equals(id.toString()), Duration.ofSeconds(20));
      assertThat(result.get("result").get("len").asInt()).isEqualTo(big.length());
    }
  }

  @Test
  void aBurstOfTenThousandFramesLeavesTheEngineResponsive() throws Exception {
    try (RawWorker w = RawWorker.connect(engine.workerUrl())) {
      long before = engine.droppedFrames();
      for (int i = 0; i < 5_000; i++) {
        w.send("{\"type\":\"nonsense\",\"n\":" + i + "}");
        w.send("{\"type\":\"ping\"}");
      }
      for (int i = 0; i < 5_000; i++) {
        assertThat(w.next("pong", Duration.ofSeconds(20))).as("pong %d", i).isNotNull();
      }
      assertThat(engine.droppedFrames() - before).isEqualTo(5_000);
      assertCallStillWorks(w);
    }
  }
}
