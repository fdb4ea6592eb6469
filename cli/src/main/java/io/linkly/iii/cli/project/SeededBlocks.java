package io.linkly.iii.cli.project;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.workers.configuration.ConfigurationConfig;
import io.linkly.iii.engine.workers.cron.CronWorker;
import io.linkly.iii.engine.workers.http.HttpWorker;
import io.linkly.iii.engine.workers.observability.ObservabilityWorker;
import io.linkly.iii.engine.workers.pubsub.PubSubWorker;
import io.linkly.iii.engine.workers.queue.QueueWorker;
import io.linkly.iii.engine.workers.state.StateWorker;
import io.linkly.iii.engine.workers.stream.StreamWorker;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * BUILTINS.md §0.5 step 7: once a configurable built-in's {@code config:} block has seeded the
 * configuration worker, the stored value wins and the block is dead text that only misleads whoever
 * edits it. On the next boot it is cut out of config.yaml and a comment saying where the value lives
 * now is left in its place.
 *
 * <p>The edit is line based so that comments, {@code ${VAR}} placeholders and layout survive: one
 * run of lines is replaced by one comment line, everything else is kept byte for byte. Each edit is
 * checked by parsing the result, which must be the old document minus that one {@code config} key;
 * a file this cannot edit safely is left as it is, with a warning. Nothing here stops the engine
 * from starting.
 */
public final class SeededBlocks {

  /** The built-ins whose settings live in the configuration worker (BUILTINS.md §0.5). */
  static final Set<String> CONFIGURABLE =
      Set.of(HttpWorker.NAME, StreamWorker.NAME, StateWorker.NAME, PubSubWorker.NAME, QueueWorker.NAME, CronWorker.NAME,
          ObservabilityWorker.NAME);

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final List<String> LISTS = List.of("workers", "modules");

  private final Path file;
  private final PrintStream err;

  private SeededBlocks(Path file, PrintStream err) {
    this.file = file;
    this.err = err;
  }

  /**
   * Cuts the {@code config:} block of every configurable built-in whose value the configuration
   * worker already stores out of {@code file}, which {@code config} was loaded from (before this
   * boot's workers can seed anything). {@code workingDirectory} is the engine's: a relative store
   * directory is resolved against it. Reports each cut block and each problem on {@code err}.
   *
   * @return the ids whose blocks were cut ({@code workers:} first, then the legacy {@code modules:})
   */
  public static List<String> strip(Path file, EngineConfig config, Path workingDirectory, PrintStream err) {
    return new SeededBlocks(file, err).run(config, workingDirectory);
  }

  private List<String> run(EngineConfig config, Path workingDirectory) {
    ConfigurationConfig store;
    try {
      List<WorkerEntry> own = config.entries(EngineConfig.CONFIGURATION);
      store = ConfigurationConfig.fromConfig(
          own.isEmpty() ? new WorkerEntry(EngineConfig.CONFIGURATION, null, "defaults." + EngineConfig.CONFIGURATION) : own.get(0));
    } catch (ConfigException e) {
      return List.of(); // the engine refuses this block on start, and says why
    }
    // which ids qualify is decided on the loaded config, whose placeholders are expanded; with the
    // memory adapter nothing is stored before a boot, so every block still seeds
    Set<String> stored = new LinkedHashSet<>();
    for (WorkerEntry entry : config.workers()) {
      if (CONFIGURABLE.contains(entry.name()) && entry.config() != null && store.hasStoredValue(entry.name(), workingDirectory)) {
        stored.add(entry.name());
      }
    }
    if (stored.isEmpty()) {
      return List.of();
    }
    String text;
    JsonNode document;
    try {
      text = Files.readString(file);
      document = YAML.readTree(text);
    } catch (IOException e) {
      stored.forEach(id -> leftInPlace(id, store, "the file does not parse without its placeholders expanded"));
      return List.of();
    }
    List<Line> lines = Line.split(text);
    List<String> cut = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (String list : LISTS) {
      JsonNode items = document == null ? null : document.get(list);
      if (items == null || !items.isArray()) {
        continue;
      }
      List<Integer> starts = itemStarts(lines, list);
      for (int k = 0; k < items.size(); k++) {
        String id = configId(items.get(k));
        if (id == null || !stored.contains(id) || !seen.add(id)) {
          continue; // only the first entry of an id seeds, so only its block is dead
        }
        if (starts.size() != items.size()) {
          leftInPlace(id, store, "its '" + list + ":' list is not written one '- ' item per entry");
          continue;
        }
        List<Line> before = new ArrayList<>(lines);
        String problem = cutBlock(lines, starts.get(k), comment(id, store));
        if (problem == null && !sameWithout(document, list, k, lines)) {
          problem = "the edit would change more than the block";
        }
        if (problem != null) {
          lines = before;
          leftInPlace(id, store, problem);
          continue;
        }
        ((ObjectNode) items.get(k)).remove("config");
        cut.add(id);
        starts = itemStarts(lines, list); // the later items moved up
      }
    }
    if (cut.isEmpty()) {
      return cut;
    }
    try {
      write(Line.join(lines));
    } catch (IOException e) {
      err.println("iii: warning: " + file + ": cannot remove the blocks now kept by the configuration worker (" + reason(e)
          + "); they are no longer read");
      return List.of();
    }
    for (String id : cut) {
      err.println("iii: " + file + ": the '" + id + "' block now lives in " + location(id, store) + "; removed it from " + file.getFileName());
    }
    return cut;
  }

  /** The config id of an entry of a built-in, or null for a local worker or a malformed entry. */
  private static String configId(JsonNode item) {
    if (!item.isObject() || item.hasNonNull("worker_path") || !item.path("name").isTextual()) {
      return null;
    }
    String name = item.get("name").textValue();
    return EngineConfig.REGISTRY_NAMES.getOrDefault(name, name);
  }

  /** Whether {@code lines} parse to {@code document} with item {@code k} of {@code list} lacking its config. */
  private static boolean sameWithout(JsonNode document, String list, int k, List<Line> lines) {
    JsonNode expected = document.deepCopy();
    ((ObjectNode) expected.get(list).get(k)).remove("config");
    try {
      return expected.equals(YAML.readTree(Line.join(lines)));
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The line index of each item of the top-level block list {@code list}: the lines that start with
   * {@code -} at the indentation of its first item (deeper dashes belong to nested lists).
   */
  private static List<Integer> itemStarts(List<Line> lines, String list) {
    List<Integer> starts = new ArrayList<>();
    boolean inside = false;
    int itemIndent = -1;
    for (int i = 0; i < lines.size(); i++) {
      Line line = lines.get(i);
      if (line.isBlankOrComment()) {
        continue;
      }
      int indent = line.indent();
      if (indent == 0 && !line.isDash()) {
        inside = list.equals(topLevelKey(line.content()));
        itemIndent = -1;
        continue;
      }
      if (inside && line.isDash()) {
        if (itemIndent < 0) {
          itemIndent = indent;
        }
        if (indent == itemIndent) {
          starts.add(i);
        }
      }
    }
    return starts;
  }

  private static String topLevelKey(String content) {
    String text = content.startsWith("\uFEFF") ? content.substring(1) : content;
    int colon = text.indexOf(':');
    if (colon < 0) {
      return null; // "---", a continuation, …: not a key this edit knows
    }
    String key = text.substring(0, colon).strip();
    if (key.length() >= 2 && (key.startsWith("\"") && key.endsWith("\"") || key.startsWith("'") && key.endsWith("'"))) {
      key = key.substring(1, key.length() - 1);
    }
    return key;
  }

  /**
   * Replaces the {@code config:} block of the item starting at line {@code start} with {@code
   * comment}: the {@code config:} line at the item's key indentation and every following line
   * indented deeper. Blank and shallower comment lines belong to it only when a deeper line follows,
   * so the spacing and comments before the next entry stay. Returns why it cannot, or null.
   */
  private static String cutBlock(List<Line> lines, int start, String comment) {
    Line dash = lines.get(start);
    int afterDash = dash.indent() + 1;
    while (afterDash < dash.content().length() && dash.content().charAt(afterDash) == ' ') {
      afterDash++;
    }
    int keyIndent;
    boolean keyOnDash = afterDash < dash.content().length() && dash.content().charAt(afterDash) != '#';
    if (keyOnDash) {
      if (isKey(dash.content().substring(afterDash), "config")) {
        return "'config:' is written on the '- ' line";
      }
      keyIndent = afterDash;
    } else {
      keyIndent = -1; // "-" alone: the keys start on the next line
    }
    for (int i = start + 1; i < lines.size(); i++) {
      Line line = lines.get(i);
      if (line.isBlankOrComment()) {
        continue;
      }
      if (keyIndent < 0) {
        keyIndent = line.indent();
        if (keyIndent <= dash.indent()) {
          break;
        }
      }
      if (line.indent() < keyIndent) {
        break; // the next item, or the next top-level key
      }
      if (line.indent() == keyIndent && isKey(line.content().substring(keyIndent), "config")) {
        int last = i;
        for (int j = i + 1; j < lines.size(); j++) {
          Line next = lines.get(j);
          if (next.isBlank() || next.isBlankOrComment() && next.indent() <= keyIndent) {
            continue; // tentative: kept unless a deeper line follows
          }
          if (next.indent() <= keyIndent) {
            break;
          }
          last = j;
        }
        Line replaced = new Line(" ".repeat(keyIndent) + comment, lines.get(last).end());
        lines.subList(i, last + 1).clear();
        lines.add(i, replaced);
        return null;
      }
    }
    return "no 'config:' key found at the entry's indentation";
  }

  /** Whether {@code text} starts with the plain key {@code key}, i.e. {@code key:} then a space or nothing. */
  private static boolean isKey(String text, String key) {
    if (!text.startsWith(key + ":")) {
      return false;
    }
    String rest = text.substring(key.length() + 1);
    return rest.isEmpty() || rest.charAt(0) == ' ';
  }

  private static String location(String id, ConfigurationConfig store) {
    return store.directory().resolve(id + ".yaml").toString();
  }

  private static String comment(String id, ConfigurationConfig store) {
    return "# '" + id + "': value now lives in the configuration worker at " + location(id, store) + ". Edit at runtime via 'iii config set "
        + id + "' (or 'configuration::set'); this block is no longer read.";
  }

  private void leftInPlace(String id, ConfigurationConfig store, String problem) {
    err.println("iii: warning: " + file + ": the '" + id + "' block now lives in " + location(id, store) + " but was left in place: "
        + problem);
  }

  /**
   * Writes through a temporary file in the same directory, so a crash leaves the old file or the
   * new one, never half of either; a link is followed so that it stays a link.
   */
  private void write(String text) throws IOException {
    Path target = file.toRealPath();
    if (!Files.isWritable(target)) {
      // renaming over it would work in a writable directory, but the file says it is not to be changed
      throw new AccessDeniedException(target.toString(), null, "the file is read-only");
    }
    Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
    try {
      Files.writeString(temp, text);
      try {
        Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(target));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: the new file keeps the default permissions
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static String reason(IOException e) {
    if (e instanceof AccessDeniedException denied) {
      return denied.getReason() != null ? denied.getReason() : "permission denied";
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /** One line of the file: its text and the terminator it had ({@code \n}, {@code \r\n} or none at the end). */
  private record Line(String content, String end) {

    static List<Line> split(String text) {
      List<Line> out = new ArrayList<>();
      int from = 0;
      while (from < text.length()) {
        int newline = text.indexOf('\n', from);
        if (newline < 0) {
          out.add(new Line(text.substring(from), ""));
          break;
        }
        boolean crlf = newline > from && text.charAt(newline - 1) == '\r';
        out.add(new Line(text.substring(from, crlf ? newline - 1 : newline), crlf ? "\r\n" : "\n"));
        from = newline + 1;
      }
      return out;
    }

    static String join(List<Line> lines) {
      StringBuilder out = new StringBuilder();
      lines.forEach(l -> out.append(l.content).append(l.end));
      return out.toString();
    }

    int indent() {
      int i = 0;
      while (i < content.length() && content.charAt(i) == ' ') {
        i++;
      }
      return i;
    }

    boolean isBlank() {
      return content.isBlank();
    }

    boolean isBlankOrComment() {
      String t = content.strip();
      return t.isEmpty() || t.startsWith("#");
    }

    /** A sequence item: {@code -} then a space or the end of the line. */
    boolean isDash() {
      String t = content.substring(indent());
      return t.equals("-") || t.startsWith("- ");
    }
  }
}
