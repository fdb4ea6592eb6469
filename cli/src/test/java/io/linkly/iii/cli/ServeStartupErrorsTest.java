package io.linkly.iii.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.linkly.testing.JvmRun;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
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

  /** {@code worker}'s config with its files under {@code dir}, and the key that names them. */
  private record Stored(String yaml, String key, Path target) {}

  private static Stored stored(String worker, Path dir) {
    return switch (worker) {
      case "iii-state" -> new Stored(
          "adapter: {name: kv, config: {store_method: file_based, file_path: '" + dir.resolve("state") + "'}}",
          "adapter.config.file_path", dir.resolve("state"));
      case "iii-stream" -> new Stored(
          "port: 0\n      adapter: {name: kv, config: {store_method: file_based, file_path: '" + dir.resolve("stream") + "'}}",
          "adapter.config.file_path", dir.resolve("stream"));
      case "iii-queue" -> new Stored(
          "adapter: {name: builtin, config: {file_path: '" + dir.resolve("queue") + "'}}",
          "adapter.config.file_path", dir.resolve("queue"));
      case "database" -> new Stored(
          "databases: {primary: {url: 'sqlite:" + dir.resolve("iii.db") + "'}}",
          "databases.primary.url", dir.resolve("iii.db"));
      default -> throw new IllegalArgumentException(worker);
    };
  }

  private Path configStoringUnder(String worker, Stored stored) throws Exception {
    String yaml = "workers:\n  - name: " + worker + "\n    config:\n      " + stored.yaml()
        + "\n  - name: iii-worker-manager\n    config:\n      port: 0\n";
    return Files.writeString(dir.resolve("config.yaml"), yaml);
  }

  @ParameterizedTest
  @ValueSource(strings = {"iii-state", "iii-stream", "iii-queue", "database"})
  void aFileWhereTheDataDirectoryShouldBeNamesWorkerPathAndKey(String worker) throws Exception {
    Path file = Files.writeString(dir.resolve("data"), "not a directory");
    Stored stored = stored(worker, file);

    JvmRun run = serve(configStoringUnder(worker, stored));

    assertThat(run.exitCode()).as(run.transcript()).isEqualTo(2);
    assertThat(run.said())
        .as(run.transcript())
        .containsExactly(
            "iii: " + worker + " cannot use " + stored.target() + " (workers[0].config." + stored.key() + ": " + file
                + " is not a directory)");
    assertThat(run.loggedProblems()).as(run.transcript()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"iii-state", "iii-stream", "iii-queue", "database"})
  void aDataDirectoryThatCannotBeWrittenNamesWorkerPathAndKey(String worker) throws Exception {
    Path data = Files.createDirectory(dir.resolve("read-only"));
    Stored stored = stored(worker, data);
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("r-x------"));
    try {
      assumeFalse(writesAnyway(data), "this user (root?) writes through permissions; run as another user to check this");
      JvmRun run = serve(configStoringUnder(worker, stored));

      assertThat(run.exitCode()).as(run.transcript()).isEqualTo(2);
      String problem = worker.equals("database")
          ? data + " is not writable (permission denied)"
          : data + "/" + stored.target().getFileName() + " cannot be created (permission denied)";
      assertThat(run.said())
          .as(run.transcript())
          .containsExactly("iii: " + worker + " cannot use " + stored.target() + " (workers[0].config." + stored.key() + ": " + problem + ")");
    } finally {
      Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
    }
  }

  /** True when this user can write to {@code dir} whatever its permissions say, as root can. */
  static boolean writesAnyway(Path dir) {
    try {
      Files.delete(Files.createTempFile(dir, "probe", ".tmp"));
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
