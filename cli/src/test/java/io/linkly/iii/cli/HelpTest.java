package io.linkly.iii.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkly.testing.JvmRun;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** {@code --help} and {@code -h} on {@code iii} and on every subcommand: usage on stdout, exit 0. */
class HelpTest {

  @TempDir Path dir;

  /** Every command path, from the command tree itself, so a new subcommand is covered too. */
  static Stream<List<String>> commands() {
    Stream.Builder<List<String>> all = Stream.builder();
    all.add(List.of());
    Main.commandLine().getSubcommands().forEach((name, sub) -> {
      if (sub.getCommandName().equals(name)) { // once per command, not per alias
        all.add(List.of(name));
        sub.getSubcommands().forEach((child, c) -> {
          if (c.getCommandName().equals(child)) {
            all.add(List.of(name, child));
          }
        });
      }
    });
    return all.build();
  }

  @ParameterizedTest
  @MethodSource("commands")
  void helpPrintsTheUsageOfThatCommandAndExitsZero(List<String> command) {
    for (String flag : List.of("--help", "-h")) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CommandLine cli = Main.commandLine();
      cli.setOut(new PrintWriter(out));
      cli.setErr(new PrintWriter(err));

      int exit = cli.execute(Stream.concat(command.stream(), Stream.of(flag)).toArray(String[]::new));

      assertThat(exit).as(command + " " + flag + ": " + err).isZero();
      assertThat(out.toString()).as(command + " " + flag).startsWith(("Usage: iii " + String.join(" ", command)).trim() + " ");
      assertThat(out.toString()).contains("--help");
      assertThat(err.toString()).isEmpty();
    }
  }

  @Test
  void aTriggerWithItsFunctionAndHelpPrintsTheUsageAndCallsNothing() {
    StringWriter out = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    // port 1: nothing is called, so nothing is refused
    assertThat(cli.execute("trigger", "engine::health::check", "--port", "1", "--help")).isZero();
    assertThat(out.toString()).startsWith("Usage: iii trigger ").contains("--timeout-ms");
  }

  @ParameterizedTest
  @MethodSource("fromTheCommandLine")
  void helpFromTheCommandLineExitsZeroAndDoesNothingElse(List<String> args, String usage) throws Exception {
    JvmRun run = JvmRun.of(List.of(), Main.class, args, Map.of(), dir);
    assertThat(run.exitCode()).as(run.transcript()).isZero();
    assertThat(run.stdout()).first().asString().startsWith(usage);
    assertThat(run.stderr()).as(run.transcript()).isEmpty();
  }

  /** Through main: serve does not start an engine; trigger, which main reads itself, calls nothing. */
  static Stream<Arguments> fromTheCommandLine() {
    return Stream.of(
        Arguments.of(List.of("serve", "--help"), "Usage: iii serve "),
        Arguments.of(List.of("trigger", "engine::health::check", "--port", "1", "--help"), "Usage: iii trigger "));
  }
}
