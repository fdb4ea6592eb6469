package io.linkly.iii.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * One {@code node scenario.mjs <scenario>} process: its stdout JSON lines become events a test
 * can wait for, its stderr goes to a log file (and into failure messages). Every wait is bounded;
 * {@link #close} kills the process by its PID.
 */
final class NodeWorker implements AutoCloseable {

  static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);
  private static final int STDERR_TAIL_CHARS = 8_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String scenario;
  private final Process process;
  private final Path log;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ReentrantLock stdinLock = new ReentrantLock();
  private final List<JsonNode> events = new ArrayList<>();
  private final StringBuilder stderrTail = new StringBuilder();
  private boolean stdoutClosed;

  private NodeWorker(String scenario, Process process, Path log) {
    this.scenario = scenario;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts a scenario of {@code interop/node/scenario.mjs} with {@code env} on top of this JVM's
   * environment; {@code logName} names its stderr file under {@code target/interop-logs}.
   */
  static NodeWorker start(String scenario, Map<String, String> env, String logName) {
    return start(scenario, List.of("node", "scenario.mjs", scenario), env, logName);
  }

  /**
   * Starts {@code command} in {@code interop/node} under the same contract (JSON events on
   * stdout, commands on stdin); {@code label} names it in failure messages.
   */
  static NodeWorker start(String label, List<String> command, Map<String, String> env, String logName) {
    ProcessBuilder builder = new ProcessBuilder(command).directory(NodeRuntime.NODE_DIR.toFile());
    builder.environment().put("OTEL_ENABLED", "false");
    builder.environment().putAll(env);
    Path log = NodeRuntime.NODE_DIR.resolveSibling("target/interop-logs").resolve(logName + ".log");
    try {
      Files.createDirectories(log.getParent());
      Files.writeString(log, "", StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
      NodeWorker worker = new NodeWorker(label, builder.start(), log);
      worker.pump("stdout", worker.process.getInputStream(), worker::onStdout, worker::onStdoutEnd);
      worker.pump("stderr", worker.process.getErrorStream(), worker::onStderr, () -> {});
      return worker;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node scenario " + label, e);
    }
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  // ------------------------------------------------------------------ events

  /** Waits for the first event named {@code event}. */
  JsonNode await(String event) {
    return await(event, e -> true, DEFAULT_WAIT);
  }

  JsonNode await(String event, Predicate<JsonNode> matching) {
    return await(event, matching, DEFAULT_WAIT);
  }

  /**
   * Waits for the first event named {@code event} that matches; fails at once, with the
   * process's output, when the scenario reports a fatal error or its stdout ends first.
   */
  JsonNode await(String event, Predicate<JsonNode> matching, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    lock.lock();
    try {
      while (true) {
        for (JsonNode e : events) {
          if (event.equals(e.path("event").asText()) && matching.test(e)) {
            return e;
          }
        }
        for (JsonNode e : events) {
          if ("fatal".equals(e.path("event").asText())) {
            throw new AssertionError("node scenario failed while waiting for '" + event + "'\n" + describe());
          }
        }
        if (stdoutClosed) {
          throw new AssertionError("node scenario ended before '" + event + "'\n" + describe());
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no '" + event + "' event within " + limit + "\n" + describe());
        }
        changed.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for '" + event + "'", e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until {@code count} events named {@code event} have arrived and returns the first
   * {@code count} of them, in arrival order; fails like {@link #await} does.
   */
  List<JsonNode> awaitCount(String event, int count) {
    await(event, e -> countOf(event) >= count, DEFAULT_WAIT);
    return events(event).subList(0, count);
  }

  private int countOf(String event) {
    int n = 0;
    for (JsonNode e : events) {
      if (event.equals(e.path("event").asText())) {
        n++;
      }
    }
    return n;
  }

  /** Every event named {@code event} so far, in order. */
  List<JsonNode> events(String event) {
    lock.lock();
    try {
      return events.stream().filter(e -> event.equals(e.path("event").asText())).toList();
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ commands

  /**
   * Sends one command line ({@code {"command": name, …fields}}) to a scenario that takes commands
   * (lib.mjs {@code commands()}); the scenario runs them one after the other, in order.
   */
  void command(String name, Map<String, ?> fields) {
    ObjectNode line = JSON.createObjectNode();
    line.put("command", name);
    fields.forEach((k, v) -> line.set(k, JSON.valueToTree(v)));
    stdinLock.lock();
    try {
      OutputStream stdin = process.getOutputStream();
      stdin.write((JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    } catch (IOException e) {
      throw new AssertionError("cannot send command " + line + " to " + this + "\n" + describe(), e);
    } finally {
      stdinLock.unlock();
    }
  }

  void command(String name) {
    command(name, Map.of());
  }

  // ------------------------------------------------------------------ ending

  /** Asks a long-running scenario to shut its worker down and exit. */
  void closeStdin() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // already gone: nothing left to ask
    }
  }

  /** Waits for the process to exit and for its stdout to be read to the end; returns the code. */
  int awaitExit(Duration limit) {
    try {
      if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("node scenario still running after " + limit + "\n" + describe());
      }
      awaitStdoutEnd(Duration.ofSeconds(10));
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for node to exit", e);
    }
  }

  /** kill -9: the process gets no chance to close its socket cleanly. */
  void kill() {
    process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError("node process " + pid() + " survived SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }

  /** Scenario, PID, exit status, every event and the tail of stderr, for failure messages. */
  String describe() {
    lock.lock();
    try {
      StringBuilder text = new StringBuilder();
      text.append("  scenario ").append(scenario).append(", pid ").append(process.pid());
      text.append(process.isAlive() ? ", running" : ", exited with " + process.exitValue());
      text.append("\n  events:");
      for (JsonNode e : events) {
        text.append("\n    ").append(e);
      }
      text.append("\n  stderr (").append(log).append("):\n").append(stderrTail.toString().indent(4));
      return text.toString();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "node " + scenario + " (pid " + process.pid() + ")";
  }

  // ------------------------------------------------------------------ pumping

  private void pump(String stream, InputStream in, java.util.function.Consumer<String> onLine, Runnable onEnd) {
    Thread.ofVirtual()
        .name("node-" + stream + "-" + process.pid())
        .start(
            () -> {
              try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  onLine.accept(line);
                }
              } catch (IOException e) {
                onLine.accept("[" + stream + " read failed: " + e + "]");
              } finally {
                onEnd.run();
              }
            });
  }

  private void onStdout(String line) {
    JsonNode event;
    try {
      event = JSON.readTree(line);
    } catch (IOException e) {
      event = null;
    }
    if (event == null || !event.isObject() || !event.has("event")) {
      ObjectNode wrapped = JSON.createObjectNode();
      wrapped.put("event", "stdout-noise");
      wrapped.put("line", line);
      event = wrapped;
    }
    lock.lock();
    try {
      events.add(event);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void onStdoutEnd() {
    lock.lock();
    try {
      stdoutClosed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void onStderr(String line) {
    try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
      out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // the log file is a convenience; the tail below still reaches failure messages
    }
    lock.lock();
    try {
      stderrTail.append(line).append('\n');
      if (stderrTail.length() > STDERR_TAIL_CHARS) {
        stderrTail.delete(0, stderrTail.length() - STDERR_TAIL_CHARS);
      }
    } finally {
      lock.unlock();
    }
  }

  private void awaitStdoutEnd(Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    lock.lock();
    try {
      while (!stdoutClosed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("node stdout still open after the process exited\n" + describe());
        }
        changed.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }
}
