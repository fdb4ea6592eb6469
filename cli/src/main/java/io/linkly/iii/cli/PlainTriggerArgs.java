package io.linkly.iii.cli;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the arguments of a plain {@code iii trigger} without picocli: {@code FUNCTION [KEY=VALUE
 * ...]} and the options {@code --json}, {@code --address}, {@code --port} and {@code --timeout-ms},
 * each at most once and with a value ({@code --port 1} or {@code --port=1}). Anything else (help, an
 * unknown or repeated option, a value that is not a number or starts with {@code -}, an
 * {@code @file}, no function) is left to picocli, which handles or reports it as usual.
 *
 * <p>Why: picocli builds its model of the commands by reflection over Java 5 bytecode, which the
 * JVM's AOT cache cannot hold (it keeps only classes verified by the modern verifier), so picocli
 * costs about 100 ms of every start, a third of what {@code iii trigger} may take. The two readings
 * are kept equal by {@code PlainTriggerArgsTest}.
 */
final class PlainTriggerArgs {

  private static final Pattern PORT = Pattern.compile("[0-9]{1,9}");
  private static final Pattern MILLIS = Pattern.compile("[0-9]{1,18}");

  private PlainTriggerArgs() {}

  /** The command for {@code args} (what follows {@code trigger}), or null to leave them to picocli. */
  static TriggerCommand read(List<String> args) {
    TriggerCommand command = new TriggerCommand();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.startsWith("@")) {
        return null; // picocli reads arguments from that file
      }
      if (!arg.startsWith("-")) {
        if (command.function == null) {
          command.function = arg;
        } else {
          command.pairs.add(arg);
        }
        continue;
      }
      int eq = arg.indexOf('=');
      String name = eq < 0 ? arg : arg.substring(0, eq);
      String value;
      if (eq >= 0) {
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        return null;
      }
      if (!seen.add(name) || value.startsWith("-") || value.startsWith("@")) {
        return null;
      }
      switch (name) {
        case "--json" -> command.json = value;
        case "--address" -> command.address = value;
        case "--port" -> {
          if (!PORT.matcher(value).matches()) {
            return null;
          }
          command.port = Integer.parseInt(value);
        }
        case "--timeout-ms" -> {
          if (!MILLIS.matcher(value).matches()) {
            return null;
          }
          command.timeoutMs = Long.parseLong(value);
        }
        default -> {
          return null;
        }
      }
    }
    return command.function == null ? null : command;
  }
}
