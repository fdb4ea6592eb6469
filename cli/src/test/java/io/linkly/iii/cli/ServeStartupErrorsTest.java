package io.linkly.iii.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkly.testing.JvmRun;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code iii} on a machine that cannot give it what its config asks for: one line on stderr that
 * names the worker and the key or path, exit code 2, no stack trace.
 */
class ServeStartupErrorsTest {

  @TempDir Path dir;

  /** Every listener on an ephemeral port except {@code busyWorker}'s, which gets {@code busyPort}. */
  private Path configWithBusyPort(String busyWorker, int busyPort) throws Exception {
    StringBuilder yaml = new StringBuilder("workers:\n");
    for (String worker : new String[] {"iii-worker-manager", "iii-http", "iii-stream"}) {
      int port = worker.equals(busyWorker) ? busyPort : 0;
      yaml.append("  - name: ").append(worker).append("\n    config:\n      port: ").append(port).append('\n');
    }
    return Files.writeString(dir.resolve("config.yaml"), yaml.toString());
  }

  private JvmRun serve(Path config) throws Exception {
    return JvmRun.of(List.of(), Main.class, List.of("--config", config.toString()), Map.of(), dir);
  }

  @ParameterizedTest
  @ValueSource(strings = {"iii-worker-manager", "iii-http", "iii-stream"})
  void aPortInUseNamesTheWorkerTheAddressAndTheKey(String worker) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      int index = switch (worker) {
        case "iii-worker-manager" -> 0;
        case "iii-http" -> 1;
        default -> 2;
      };
      JvmRun run = serve(configWithBusyPort(worker, port));

      assertThat(run.exitCode()).as(run.transcript()).isEqualTo(2);
      assertThat(run.said())
          .as(run.transcript())
          .containsExactly(
              "iii: " + worker + " cannot listen on 127.0.0.1:" + port + " (workers[" + index
                  + "].config.port: address already in use)");
      assertThat(run.loggedProblems()).as(run.transcript()).isEmpty();
    }
  }
}
