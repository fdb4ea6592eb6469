package io.linkly.iii.engine.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.protocol.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * An engine in a JVM of its own, started from an {@link EngineConfig}, for the kill -9 tests: the
 * test talks to it on its worker port, then kills it with SIGKILL (no shutdown hook, no close, no
 * flush) and starts the same config in-process to see what survived. The child's output goes to
 * {@code child.log} in the directory given.
 */
public final class ChildEngine implements AutoCloseable {

  private final Process process;
  private final String workerUrl;

  private ChildEngine(Process process, String workerUrl) {
    this.process = process;
    this.workerUrl = workerUrl;
  }

  /** Starts {@code config} in a child JVM and waits until its worker port is bound. */
  public static ChildEngine start(EngineConfig config, Path dir) throws Exception {
    ObjectNode root = Json.object();
    ArrayNode workers = root.putArray("workers");
    for (WorkerEntry entry : config.workers()) {
      ObjectNode worker = workers.addObject().put("name", entry.name());
      if (entry.config() != null && !entry.config().isMissingNode()) {
        worker.set("config", entry.config());
      }
    }
    Path configFile = dir.resolve("child-config.json"); // JSON is YAML: the child parses it as config.yaml
    Files.writeString(configFile, Json.write(root));
    Path ready = dir.resolve("child-ready");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process =
        new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                ChildEngine.class.getName(), configFile.toString(), ready.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile())
            .start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(ready) || !process.isAlive());
      assertThat(process.isAlive()).as("child engine started (see child.log)").isTrue();
      return new ChildEngine(process, Files.readString(ready));
    } catch (RuntimeException | AssertionError e) {
      process.destroyForcibly();
      throw e;
    }
  }

  public String workerUrl() {
    return workerUrl;
  }

  /** kill -9, and waits until the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the child engine died").isTrue();
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }

  /** The child: starts the config file's engine, says its worker URL, runs until killed or stdin closes. */
  public static void main(String[] args) throws Exception {
    IiiEngine engine = IiiEngine.start(EngineConfig.parse(Files.readString(Path.of(args[0])), name -> null));
    serveUntilParentLeaves(engine, Path.of(args[1]));
  }

  /**
   * For a child's main: writes the engine's worker URL to {@code ready} (atomically, so the parent
   * never reads half of it), then runs until killed or stdin closes, and closes the engine.
   */
  public static void serveUntilParentLeaves(IiiEngine engine, Path ready) throws IOException {
    Path partial = Path.of(ready + ".partial");
    Files.writeString(partial, engine.workerUrl());
    Files.move(partial, ready, StandardCopyOption.ATOMIC_MOVE);
    while (System.in.read() >= 0) {
      // keep running until the parent goes away
    }
    engine.close();
  }
}
