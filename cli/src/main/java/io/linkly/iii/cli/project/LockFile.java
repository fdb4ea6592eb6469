package io.linkly.iii.cli.project;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code iii.lock}, in upstream's shape: {@code version: 1} and, per added worker, its {@code
 * version}, {@code type} ({@code engine} for the built-ins this engine serves; local directories
 * are not locked, as upstream) and {@code dependencies}. Workers are kept sorted, so the file
 * diffs cleanly.
 */
public final class LockFile {

  public static final String NAME = "iii.lock";
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  /** One locked worker. */
  public record Locked(String version, String type) {}

  private final Path file;
  private final Map<String, Locked> workers = new TreeMap<>();

  private LockFile(Path file) {
    this.file = file;
  }

  /** The lock file in {@code dir}, empty when there is none yet. */
  public static LockFile in(Path dir) throws IOException {
    LockFile lock = new LockFile(dir.resolve(NAME));
    if (Files.isRegularFile(lock.file)) {
      JsonNode root = YAML.readTree(Files.readString(lock.file));
      JsonNode listed = root == null ? null : root.get("workers");
      if (listed != null && listed.isObject()) {
        listed.fields().forEachRemaining(e -> lock.workers.put(e.getKey(),
            new Locked(e.getValue().path("version").asText(), e.getValue().path("type").asText())));
      }
    }
    return lock;
  }

  public Map<String, Locked> workers() {
    return Map.copyOf(workers);
  }

  public void put(String name, Locked locked) {
    workers.put(name, locked);
  }

  public boolean remove(String name) {
    return workers.remove(name) != null;
  }

  public void save() throws IOException {
    ObjectNode root = YAML.createObjectNode();
    root.put("version", 1);
    ObjectNode listed = root.putObject("workers");
    workers.forEach((name, locked) -> {
      ObjectNode entry = listed.putObject(name);
      entry.put("version", locked.version());
      entry.put("type", locked.type());
      entry.putObject("dependencies");
    });
    Files.writeString(file, YAML.writeValueAsString(root));
  }
}
