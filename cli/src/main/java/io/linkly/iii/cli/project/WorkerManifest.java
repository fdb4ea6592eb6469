package io.linkly.iii.cli.project;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A local worker's {@code iii.worker.yaml} (LINKLY.md §8): its {@code name}, the {@code scripts}
 * that prepare and run it ({@code setup} and {@code install} once, {@code start} to run) and the
 * {@code env} it is given. {@code runtime.base_image} is read and ignored: this {@code iii} runs
 * workers as local processes, not in containers.
 */
public record WorkerManifest(String name, String setup, String install, String start, Map<String, String> env) {

  public static final String FILE = "iii.worker.yaml";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Reads {@code dir}'s manifest; the message of the exception names what is wrong. */
  public static WorkerManifest read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    JsonNode root;
    try {
      root = YAML.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new IOException(file + ": no worker manifest (iii worker init NAME writes one)");
    } catch (IOException e) {
      throw new IOException(file + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (root == null || !root.isObject()) {
      throw new IOException(file + ": must be a mapping with name and scripts.start");
    }
    String name = root.path("name").asText("");
    if (name.isBlank()) {
      throw new IOException(file + ": name is required");
    }
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
      throw new IOException(file + ": name '" + name + "' must be letters, digits, '.', '_' or '-'");
    }
    JsonNode scripts = root.path("scripts");
    String start = text(scripts, "start");
    if (start == null) {
      throw new IOException(file + ": scripts.start is required (the command that runs the worker)");
    }
    Map<String, String> env = new LinkedHashMap<>();
    root.path("env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    return new WorkerManifest(name, text(scripts, "setup"), text(scripts, "install"), start, Map.copyOf(env));
  }

  private static String text(JsonNode node, String key) {
    JsonNode value = node.get(key);
    return value == null || value.isNull() || value.asText().isBlank() ? null : value.asText();
  }
}
