package io.linkly.iii.cli.project;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A project's {@code config.yaml}, edited as text so that the comments and layout a person wrote
 * survive {@code iii worker add} and {@code remove}: an entry is appended at the end of the
 * {@code workers:} list, or its lines are cut out.
 */
public final class ProjectFile {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** One {@code - name:} entry of the file: its name and its {@code worker_path}, if any. */
  public record Entry(String name, String workerPath) {}

  private final Path file;

  public ProjectFile(Path file) {
    this.file = file;
  }

  public Path path() {
    return file;
  }

  public boolean exists() {
    return Files.isRegularFile(file);
  }

  /** The entries of {@code workers:} (and the legacy {@code modules:}), in order. */
  public List<Entry> entries() throws IOException {
    JsonNode root = YAML.readTree(Files.readString(file));
    List<Entry> out = new ArrayList<>();
    for (String key : List.of("workers", "modules")) {
      JsonNode list = root == null ? null : root.get(key);
      if (list != null && list.isArray()) {
        for (JsonNode item : list) {
          out.add(new Entry(item.path("name").asText(), item.hasNonNull("worker_path") ? item.get("worker_path").asText() : null));
        }
      }
    }
    return out;
  }

  /** Appends an entry: {@code - name: NAME}, with {@code worker_path} when given. */
  public void append(String name, String workerPath) throws IOException {
    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    int at = workersListEnd(lines);
    List<String> entry = new ArrayList<>();
    entry.add("  - name: " + name);
    if (workerPath != null) {
      entry.add("    worker_path: " + workerPath);
    }
    lines.addAll(at, entry);
    write(lines);
  }

  /** Cuts out the entry named {@code name}; false when there is none. */
  public boolean remove(String name) throws IOException {
    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (isEntryStart(line) && name.equals(unquote(line.substring(line.indexOf("name:") + 5).strip()))) {
        int indent = line.indexOf('-');
        int end = i + 1;
        while (end < lines.size() && belongsToEntry(lines.get(end), indent)) {
          end++;
        }
        lines.subList(i, end).clear();
        write(lines);
        return true;
      }
    }
    return false;
  }

  private void write(List<String> lines) throws IOException {
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(temp, lines);
    Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** The line after the last line of the {@code workers:} list; turns {@code workers: []} into a block list. */
  private static int workersListEnd(List<String> lines) {
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.startsWith("workers:")) {
        if (line.substring("workers:".length()).strip().startsWith("[]")) {
          lines.set(i, "workers:");
        }
        int end = i + 1;
        int last = i + 1;
        while (end < lines.size()) {
          String next = lines.get(end);
          if (!next.isBlank() && !Character.isWhitespace(next.charAt(0)) && !next.startsWith("-") && !next.startsWith("#")) {
            break; // the next top-level key
          }
          if (!next.isBlank() && !next.strip().startsWith("#")) {
            last = end + 1;
          }
          end++;
        }
        return last;
      }
    }
    lines.add("workers:");
    return lines.size();
  }

  private static boolean isEntryStart(String line) {
    String t = line.strip();
    return t.startsWith("- name:");
  }

  private static boolean belongsToEntry(String line, int indent) {
    if (line.isBlank()) {
      return false;
    }
    int first = 0;
    while (first < line.length() && line.charAt(first) == ' ') {
      first++;
    }
    return first > indent && !line.strip().startsWith("#");
  }

  private static String unquote(String value) {
    if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'"))) {
      return value.substring(1, value.length() - 1);
    }
    return value;
  }
}
