package io.linkly.iii.cli.managed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.linkly.iii.engine.config.LocalWorkerEntry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local workers as {@code iii} runs them: installed once, started with the engine's URL, prefixed
 * output, back after a {@code kill -9} within the first backoff, gone with everything they started
 * when {@code iii} stops.
 */
class ManagedWorkersTest {

  @TempDir Path project;

  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

  private String output() {
    return printed.toString(StandardCharsets.UTF_8);
  }

  private void worker(String dir, String manifest) throws Exception {
    Files.createDirectories(project.resolve(dir));
    Files.writeString(project.resolve(dir).resolve("iii.worker.yaml"), manifest);
  }

  @Test
  void aWorkerKilledHardIsBackWithinItsBackoffAndStoppingEndsItsWholeTree() throws Exception {
    worker("sleeper", """
        name: sleeper
        env:
          GREETING: hi
        scripts:
          install: echo installed >> install.log
          start: echo "$GREETING $III_URL $III_WORKER_NAME"; sleep 600 & wait
        """);
    try (ManagedWorkers workers = ManagedWorkers.start(
        List.of(new LocalWorkerEntry("sleeper", "./sleeper", "workers[0]")), project, "ws://127.0.0.1:1234", out)) {
      await().atMost(Duration.ofSeconds(20)).until(() -> workers.pid("sleeper") > 0 && output().contains("[sleeper] hi ws://127.0.0.1:1234 sleeper"));
      long first = workers.pid("sleeper");
      ProcessHandle shell = ProcessHandle.of(first).orElseThrow();
      List<ProcessHandle> children = shell.descendants().toList();
      assertThat(children).as("the worker's own child (sleep)").isNotEmpty();

      shell.destroyForcibly(); // kill -9 of the worker
      await().atMost(Duration.ofSeconds(20)).until(() -> workers.pid("sleeper") > 0 && workers.pid("sleeper") != first);
      assertThat(children).as("what the killed worker started does not outlive it").allMatch(ManagedWorkersTest::gone);
      assertThat(output()).contains("[sleeper] exited with code 137; restarting in 1000 ms");
      assertThat(Files.readAllLines(project.resolve("sleeper/install.log"))).as("install runs once").containsExactly("installed");

      long second = workers.pid("sleeper");
      List<ProcessHandle> tree = ProcessHandle.of(second).orElseThrow().descendants().toList();
      workers.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(second).map(ManagedWorkersTest::gone).orElse(true));
      assertThat(tree).allSatisfy(p -> await().atMost(Duration.ofSeconds(10)).until(() -> gone(p)));
    }
  }

  /** Ended: no longer alive, or a zombie (this machine's init may not reap orphans at once). */
  private static boolean gone(ProcessHandle process) {
    if (!process.isAlive()) {
      return true;
    }
    try {
      String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (java.io.IOException e) {
      return true; // gone between the two looks
    }
  }

  @Test
  void aDirectoryWithoutAManifestIsRefusedBeforeAnythingStarts() throws Exception {
    worker("good", "name: good\nscripts:\n  start: sleep 600\n");
    Files.createDirectories(project.resolve("bad"));
    try {
      ManagedWorkers.start(List.of(new LocalWorkerEntry("good", "./good", "workers[0]"), new LocalWorkerEntry("bad", "./bad", "workers[1]")),
          project, "ws://127.0.0.1:1", out).close();
      throw new AssertionError("started without a manifest");
    } catch (java.io.IOException e) {
      assertThat(e.getMessage()).startsWith("workers[1] (bad): ").contains("no worker manifest");
    }
    assertThat(output()).isEmpty();
  }
}
