package io.linkly.iii.cli;

import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/**
 * The {@code iii} command: {@code iii [--config FILE]} runs the engine, {@code iii trigger ...}
 * calls a function on a running one.
 */
@Command(
    name = "iii",
    // -h/--help and -V/--version on every subcommand too
    scope = ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    version = "iii (Java) 0.1.0, protocol v0.22.1",
    subcommands = {ServeCommand.class, TriggerCommand.class, ProjectCommand.class, WorkerCommand.class},
    description = "Runs the iii engine, or calls a function on a running engine.")
public final class Main {

  public static void main(String[] args) {
    boolean trigger = args.length > 0 && (args[0].equals("trigger") || args[0].equals("t"));
    if (trigger) {
      TriggerCommand.prepareProcess();
      TriggerCommand plain = PlainTriggerArgs.read(Arrays.asList(args).subList(1, args.length));
      if (plain != null) {
        System.exit(run(plain));
      }
    }
    String[] effective = args;
    if (args.length == 0 || args[0].startsWith("--config") || args[0].equals("-c")) {
      effective = prepend("serve", args); // a bare `iii` starts the engine
    }
    System.exit(commandLine().execute(effective));
  }

  /** The command tree with its error handling, ready to {@code execute}. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("iii: " + e.getMessage());
          return 1;
        });
    return cli;
  }

  /** Runs a trigger read without picocli, with the error handling {@link #commandLine} gives it. */
  private static int run(TriggerCommand trigger) {
    try {
      return trigger.call();
    } catch (RuntimeException e) {
      System.err.println("iii: " + e.getMessage());
      return 1;
    }
  }

  private static String[] prepend(String first, String[] rest) {
    String[] out = new String[rest.length + 1];
    out[0] = first;
    System.arraycopy(rest, 0, out, 1, rest.length);
    return out;
  }
}
