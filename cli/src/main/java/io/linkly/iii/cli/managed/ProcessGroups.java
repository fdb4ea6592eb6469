package io.linkly.iii.cli.managed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A managed worker runs as the leader of a new session and process group ({@code setsid}), so
 * that everything it starts can be signalled at once, also after the leader itself died and its
 * children were handed to init (Java's process API only reaches the descendants of a live process).
 * Without {@code setsid} the script runs as a plain child and only its live descendants are reached.
 */
final class ProcessGroups {

  private static final boolean SETSID = Files.isExecutable(Path.of("/usr/bin/setsid")) || Files.isExecutable(Path.of("/bin/setsid"));

  private ProcessGroups() {}

  /** The command that runs {@code script} with {@code sh -c}, in a group of its own where possible. */
  static List<String> command(String script) {
    return SETSID ? List.of("setsid", "sh", "-c", script) : List.of("sh", "-c", script);
  }

  /** Signals the group led by {@code leader}: KILL when {@code hard}, else TERM. */
  static void kill(long leader, boolean hard) {
    if (SETSID) {
      try {
        Process kill = new ProcessBuilder("kill", hard ? "-KILL" : "-TERM", "--", "-" + leader)
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        kill.waitFor(5, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        // fall back to what the process API reaches
      }
    }
    ProcessHandle.of(leader).ifPresent(p -> {
      p.descendants().forEach(hard ? ProcessHandle::destroyForcibly : ProcessHandle::destroy);
      if (hard) {
        p.destroyForcibly();
      } else {
        p.destroy();
      }
    });
  }
}
