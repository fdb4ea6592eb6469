package io.linkly.iii.cli.managed;

import io.linkly.iii.cli.project.WorkerManifest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One local worker kept running by {@code iii}: its manifest's {@code setup} and {@code install}
 * run once, then {@code start}; whenever the worker's process ends it is started again after a
 * backoff that doubles from one second up to thirty (back to one once a run lasted thirty
 * seconds). Every line it prints goes to {@code iii}'s output prefixed with its name. Scripts run
 * with {@code sh -c} in the worker's directory.
 */
final class ManagedWorker {

  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  /** A run this long counts as healthy: the next failure starts from the first backoff again. */
  static final Duration HEALTHY_RUN = Duration.ofSeconds(30);
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);

  private final WorkerManifest manifest;
  private final Path dir;
  private final Map<String, String> env;
  private final PrintStream out;
  private final Object lock = new Object();
  private Process running;
  private boolean stopping;
  private Thread supervisor;

  ManagedWorker(WorkerManifest manifest, Path dir, Map<String, String> env, PrintStream out) {
    this.manifest = manifest;
    this.dir = dir;
    this.env = env;
    this.out = out;
  }

  String name() {
    return manifest.name();
  }

  void start() {
    supervisor = Thread.ofPlatform().daemon().name("managed-" + name()).start(this::supervise);
  }

  private void supervise() {
    try {
      for (String step : List.of("setup", "install")) {
        String script = step.equals("setup") ? manifest.setup() : manifest.install();
        if (script != null) {
          print("running " + step + ": " + script);
          int code = run(script);
          if (code != 0 && !isStopping()) {
            print(step + " failed with exit code " + code + "; starting the worker anyway");
          }
        }
      }
      Duration backoff = FIRST_BACKOFF;
      while (!isStopping()) {
        long began = System.nanoTime();
        int code = run(manifest.start());
        if (isStopping()) {
          return;
        }
        if (System.nanoTime() - began >= HEALTHY_RUN.toNanos()) {
          backoff = FIRST_BACKOFF;
        }
        print("exited with code " + code + "; restarting in " + backoff.toMillis() + " ms");
        Thread.sleep(backoff.toMillis());
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // stopping
    } catch (IOException e) {
      print("cannot be started: " + e.getMessage());
    }
  }

  /**
   * Runs one script to its end, its output prefixed; the exit code (-1 when stopped first). The
   * script leads a process group of its own, and whatever of the group outlives it is killed: a
   * worker's children (tsx's node, a JVM a wrapper started) must not keep serving as orphans
   * beside the restarted worker.
   */
  private int run(String script) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(ProcessGroups.command(script)).directory(dir.toFile()).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process;
    synchronized (lock) {
      if (stopping) {
        return -1;
      }
      process = builder.start();
      running = process;
    }
    process.getOutputStream().close(); // no stdin: a worker reading it sees end of file, not iii's terminal
    Thread relay = Thread.ofVirtual().start(() -> relayOutput(process));
    int code = process.waitFor();
    ProcessGroups.kill(process.pid(), true);
    relay.join(STOP_GRACE.toMillis());
    return code;
  }

  private void relayOutput(Process process) {
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = lines.readLine()) != null; ) {
        print(line);
      }
    } catch (IOException e) {
      // the group was killed: nothing more to relay
    }
  }

  private boolean isStopping() {
    synchronized (lock) {
      return stopping;
    }
  }

  /** The pid of the running worker process (its shell), for tests; -1 when none runs. */
  long pid() {
    synchronized (lock) {
      return running != null && running.isAlive() ? running.pid() : -1;
    }
  }

  /** Ends the worker and everything it started: TERM to its process group, then KILL after 5 s. */
  void stop() {
    Process process;
    synchronized (lock) {
      stopping = true;
      process = running;
    }
    if (supervisor != null) {
      supervisor.interrupt();
    }
    if (process == null) {
      return;
    }
    ProcessGroups.kill(process.pid(), false);
    try {
      process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ProcessGroups.kill(process.pid(), true);
  }

  private void print(String line) {
    synchronized (out) {
      out.println("[" + name() + "] " + line);
    }
  }
}
