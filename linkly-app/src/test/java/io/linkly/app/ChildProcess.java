package io.linkly.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A JVM started from this test's classpath, whose output lines can be awaited. */
final class ChildProcess implements AutoCloseable {

  private final Process process;
  private final List<String> stdout = new CopyOnWriteArrayList<>();
  private final List<String> all = new CopyOnWriteArrayList<>();

  private ChildProcess(Process process) {
    this.process = process;
    collect(process.getInputStream(), stdout);
    collect(process.getErrorStream(), null);
  }

  private void collect(java.io.InputStream stream, List<String> into) {
    Thread.ofVirtual()
        .start(
            () -> {
              try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  if (into != null) {
                    into.add(line);
                  }
                  all.add(line);
                }
              } catch (IOException e) {
                // the process is gone
              }
            });
  }

  static ChildProcess java(Class<?> main, List<String> args, Map<String, String> env, Path workDir) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--enable-native-access=ALL-UNNAMED");
    // logs go to stderr at the level a user would see, never into stdout
    command.add("-Dlogback.configurationFile=logback-child.xml");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    builder.environment().putAll(env);
    return new ChildProcess(builder.start());
  }

  /** The first group of {@code pattern} in a stdout or stderr line, waiting up to {@code timeout}. */
  String await(Pattern pattern, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : all) {
        Matcher m = pattern.matcher(line);
        if (m.find()) {
          return m.groupCount() > 0 ? m.group(1) : line;
        }
      }
      if (!process.isAlive()) {
        break;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no line matching " + pattern + " in:\n" + String.join("\n", all));
  }

  /** Everything the process wrote to stdout so far. */
  String output() {
    return String.join("\n", stdout);
  }

  /** Everything it wrote, both streams, for failure messages. */
  String transcript() {
    return String.join("\n", all);
  }

  int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("process did not exit:\n" + transcript());
    }
    return process.exitValue();
  }

  /** Sends {@code kill -<name>} (e.g. {@code TERM}, {@code INT}: what Ctrl-C sends) to the process. */
  void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new AssertionError("kill -" + name + " " + process.pid() + " failed");
    }
  }

  /** kill -9: no shutdown hook runs. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
