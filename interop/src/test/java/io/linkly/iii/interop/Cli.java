package io.linkly.iii.interop;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The {@code iii} command as a user runs it: {@code java -jar cli/target/iii.jar …}, with the
 * same JDK as this test JVM (the {@code ./iii} script would build the jar first when it is
 * missing, which a test must not do).
 */
final class Cli {

  static final Path JAR =
      Path.of(System.getProperty("interop.cli.jar", NodeRuntime.REPO_ROOT.resolve("cli/target/iii.jar").toString()))
          .toAbsolutePath()
          .normalize();
  private static final Duration LIMIT = Duration.ofSeconds(90);

  record Result(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }

  private Cli() {}

  /**
   * Aborts the calling test unless the CLI jar has been built; under CI a missing jar fails it
   * ({@link io.linkly.testing.LocalService}'s rule: the reactor builds cli before this module).
   */
  static void require() {
    if (!Files.isRegularFile(JAR)) {
      NodeRuntime.requireThat(JAR + " is missing (build it with ./mvnw -pl cli -am package)", "the iii CLI jar");
    }
  }

  static Result run(String... args) {
    return runIn(NodeRuntime.REPO_ROOT, args);
  }

  /** Runs {@code iii args…} with {@code dir} as its working directory, as a user in a project does. */
  static Result runIn(Path dir, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(JAR.toString());
    command.addAll(List.of(args));
    try {
      Process process = new ProcessBuilder(command).directory(dir.toFile()).start();
      process.getOutputStream().close();
      CompletableFuture<String> stdout = readAll(process.getInputStream());
      CompletableFuture<String> stderr = readAll(process.getErrorStream());
      if (!process.waitFor(LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("'iii " + String.join(" ", args) + "' still running after " + LIMIT);
      }
      return new Result(process.exitValue(), stdout.get(10, TimeUnit.SECONDS), stderr.get(10, TimeUnit.SECONDS));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new AssertionError("running 'iii " + String.join(" ", args) + "' failed", e);
    }
  }

  private static CompletableFuture<String> readAll(InputStream in) {
    CompletableFuture<String> text = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (in) {
                text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException e) {
                text.completeExceptionally(e);
              }
            });
    return text;
  }
}
