package io.linkly.iii.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkly.testing.JvmRun;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code iii trigger} when there is no engine: a closed port fails at once with "connection
 * refused"; a peer that accepts the connection but never answers gets the timeout message when the
 * timeout passes. Both exit 1 with the error as the only output, no log lines.
 */
class TriggerConnectTest {

  @TempDir Path dir;

  private JvmRun trigger(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("trigger", "engine::health::check"));
    all.addAll(List.of(args));
    return JvmRun.of(List.of(), Main.class, all, Map.of(), dir);
  }

  @Test
  void aClosedPortFailsAtOnceWithConnectionRefused() throws Exception {
    int port;
    try (ServerSocket bound = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = bound.getLocalPort();
    }
    long start = System.nanoTime();
    JvmRun run = trigger("--address", "127.0.0.1", "--port", String.valueOf(port));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(run.exitCode()).as(run.transcript()).isEqualTo(1);
    assertThat(String.join("\n", run.stderr()))
        .as(run.transcript())
        .startsWith("Error: {")
        .contains("\"code\": \"CONNECTION_FAILED\"")
        .contains("ws://127.0.0.1:" + port + ": connection refused");
    assertThat(run.stdout()).isEmpty();
    assertThat(run.loggedProblems()).as(run.transcript()).isEmpty();
    // a JVM's start included; it waited the whole 30 s timeout before
    assertThat(took).as("time to the error, JVM start included").isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void aPeerThatNeverAnswersGetsTheTimeoutMessageWhenTheTimeoutPasses() throws Exception {
    // listening, so the TCP connection is made, but nobody reads the WebSocket upgrade
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      long start = System.nanoTime();
      JvmRun run = trigger("--address", "127.0.0.1", "--port", String.valueOf(silent.getLocalPort()), "--timeout-ms", "1500");
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(run.exitCode()).as(run.transcript()).isEqualTo(1);
      assertThat(String.join("\n", run.stderr()))
          .as(run.transcript())
          .contains("\"code\": \"TIMEOUT\"")
          .contains(TriggerCommand.TIMEOUT_MESSAGE);
      assertThat(run.loggedProblems()).as(run.transcript()).isEmpty();
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
    }
  }
}
