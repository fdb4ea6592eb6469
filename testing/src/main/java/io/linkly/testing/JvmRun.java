package io.linkly.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * One run of a {@code main} class in its own JVM on the test's classpath, to its exit, as a launcher
 * script would run it. For commands that are expected to end (a refused start); output goes to
 * files rather than pipes, so nothing has to drain them while the child runs.
 */
public record JvmRun(int exitCode, List<String> stdout, List<String> stderr) {

  /** How the projects' logback configs print a line: {@code 12:00:00.000 INFO  …}. */
  private static final Pattern LOG_LINE = Pattern.compile("^\\d{2}:\\d{2}:\\d{2}\\.\\d{3} (TRACE|DEBUG|INFO |WARN |ERROR) ");
  private static final Pattern PROBLEM = Pattern.compile("^\\d{2}:\\d{2}:\\d{2}\\.\\d{3} (WARN |ERROR) ");

  /** Runs {@code main} with {@code args} in {@code workDir}, {@code env} added to this JVM's environment. */
  public static JvmRun of(List<String> jvmOptions, Class<?> main, List<String> args, Map<String, String> env, Path workDir)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--enable-native-access=ALL-UNNAMED");
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(args);
    Path out = Files.createTempFile(workDir, "stdout", ".txt");
    Path err = Files.createTempFile(workDir, "stderr", ".txt");
    ProcessBuilder builder =
        new ProcessBuilder(command).directory(workDir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError(main.getSimpleName() + " did not exit within 60 s:\n" + Files.readString(err));
    }
    return new JvmRun(process.exitValue(), Files.readAllLines(out), Files.readAllLines(err));
  }

  /** stderr without log lines: what the command itself printed (a stack trace shows up here too). */
  public List<String> said() {
    return stderr.stream().filter(line -> !LOG_LINE.matcher(line).find()).toList();
  }

  /** stderr's logged warnings and errors. */
  public List<String> loggedProblems() {
    return stderr.stream().filter(line -> PROBLEM.matcher(line).find()).toList();
  }

  /** Exit code and stderr, for failure messages. */
  public String transcript() {
    return "exit " + exitCode + "\n" + String.join("\n", stderr);
  }
}
