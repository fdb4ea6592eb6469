package io.linkly.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.linkly.iii.engine.testing.DamagedSqlite;
import io.linkly.testing.JvmRun;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code ./linkly} on a machine that cannot give it what it needs: one line on stderr naming the
 * worker and the key or path, exit code 2, no stack trace, as {@code ./iii} does.
 */
class LinklyStartupErrorsTest {

  @TempDir Path data;
  @TempDir Path workDir;

  private JvmRun linkly(Map<String, String> env) throws Exception {
    return JvmRun.of(List.of("-Dlogback.configurationFile=logback-child.xml"), Linkly.class, List.of(), env, workDir);
  }

  /** The variable that moves a port, the worker that listens there, and its entry in linkly.yaml. */
  @ParameterizedTest
  @CsvSource({"III_PORT, iii-worker-manager, 0", "LINKLY_BROWSER_PORT, iii-worker-manager, 1", "LINKLY_HTTP_PORT, iii-http, 2", "LINKLY_STREAM_PORT, iii-stream, 7"})
  void aPortInUseNamesTheWorkerTheAddressAndTheKey(String variable, String worker, int entry) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      Map<String, String> env = new HashMap<>(LinklyFixture.env(data));
      env.put(variable, Integer.toString(port));

      JvmRun run = linkly(env);

      assertThat(run.exitCode()).as(run.transcript()).isEqualTo(2);
      assertThat(run.said())
          .as(run.transcript())
          .containsExactly(
              "linkly: " + worker + " cannot listen on 127.0.0.1:" + port + " (workers[" + entry
                  + "].config.port: address already in use)");
      assertThat(run.loggedProblems()).as(run.transcript()).isEmpty();
    }
  }

  /** Nothing listens anywhere: the check runs before the first port opens. */
  @Test
  void openingThePortsToOtherMachinesWithThePublicBrowserTokenIsRefused() throws Exception {
    Map<String, String> env = new java.util.HashMap<>(LinklyFixture.env(data));
    env.put("LINKLY_HOST", "0.0.0.0");

    JvmRun run = linkly(env);

    assertThat(run.exitCode()).as(run.transcript()).isEqualTo(2);
    assertThat(run.said())
        .as(run.transcript())
        .containsExactly(
            "linkly: config error: LINKLY_HOST=0.0.0.0 opens the browser port to other machines, and with the default"
                + " token (dev-token) anyone could create links there: set LINKLY_BROWSER_TOKEN");
    assertThat(run.loggedProblems()).as(run.transcript()).isEmpty();
  }

  /** linkly.yaml's first worker with files is the database, entry 3: it reports the data directory. */
  @Test
  void aFileAsTheDataDirectoryNamesTheFirstDirectoryItsFileAndKey() throws Exception {
    Path file = Files.writeString(workDir.resolve("data"), "not a directory");

    JvmRun run = linkly(LinklyFixture.env(file));

    assertThat(run.exitCode()).as(run.transcript()).isEqualTo(2);
    assertThat(run.said())
        .as(run.transcript())
        .containsExactly(
            // the configuration worker starts first: its directory is the first under the data directory
            "linkly: configuration cannot use " + file.resolve("config") + " (workers[9].config.adapter.config.directory: " + file
                + " is not a directory)");
    assertThat(run.loggedProblems()).as(run.transcript()).isEmpty();
  }

  @Test
  void aDataDirectoryThatCannotBeWrittenIsNamed() throws Exception {
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("r-x------"));
    try {
      assumeFalse(writesAnyway(data), "this user (root?) writes through permissions; run as another user to check this");

      JvmRun run = linkly(LinklyFixture.env(data));

      assertThat(run.exitCode()).as(run.transcript()).isEqualTo(2);
      assertThat(run.said())
          .as(run.transcript())
          .containsExactly(
              "linkly: database cannot use " + data.resolve("iii.db") + " (workers[4].config.databases.primary.url: " + data
                  + " is not writable (permission denied))");
    } finally {
      Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void aDamagedDatabaseRefusesTheStartNamingTheFile() throws Exception {
    Path file = data.resolve("iii.db");
    DamagedSqlite.create(file);

    JvmRun run = linkly(LinklyFixture.env(data));

    assertThat(run.exitCode()).as(run.transcript()).isEqualTo(2);
    assertThat(run.said()).as(run.transcript()).hasSize(1);
    assertThat(run.said().getFirst())
        .startsWith("linkly: database cannot use " + file + " (workers[4].config.databases.primary.url: damaged, PRAGMA quick_check found: ")
        .endsWith("; restore it from a backup)");
    assertThat(run.loggedProblems()).as(run.transcript()).isEmpty();
  }

  /** True when this user can write to {@code dir} whatever its permissions say, as root can. */
  private static boolean writesAnyway(Path dir) {
    try {
      Files.delete(Files.createTempFile(dir, "probe", ".tmp"));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
