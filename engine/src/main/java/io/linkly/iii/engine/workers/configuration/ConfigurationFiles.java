package io.linkly.iii.engine.workers.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code fs} adapter's files: {@code <directory>/<id>.yaml} holding {@code id, name,
 * description, value, metadata?} (no schema, as upstream), each written to a temporary file and
 * renamed over the old one, so a reader never sees half a file.
 */
final class ConfigurationFiles {

  static final String EXTENSION = ".yaml";
  private static final Logger log = LoggerFactory.getLogger(ConfigurationFiles.class);
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  private final Path directory;

  ConfigurationFiles(Path directory) {
    this.directory = directory;
  }

  Path directory() {
    return directory;
  }

  Path fileOf(String id) {
    return directory.resolve(id + EXTENSION);
  }

  /** The id a file in the directory stands for, if it is an entry's file. */
  static Optional<String> idOf(Path file) {
    String name = file.getFileName().toString();
    if (!name.endsWith(EXTENSION)) {
      return Optional.empty();
    }
    String id = name.substring(0, name.length() - EXTENSION.length());
    return ConfigurationWorker.validId(id) ? Optional.of(id) : Optional.empty();
  }

  /** Every readable entry; an unreadable file is skipped with a warning. */
  Map<String, ConfigurationEntry> loadAll() throws IOException {
    Map<String, ConfigurationEntry> out = new LinkedHashMap<>();
    if (!Files.isDirectory(directory)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + EXTENSION)) {
      for (Path file : files) {
        Optional<String> id = idOf(file);
        if (id.isEmpty()) {
          continue;
        }
        try {
          read(id.get()).ifPresent(e -> out.put(e.id(), e));
        } catch (IOException e) {
          log.warn("configuration: {} is skipped: {}", file, e.getMessage());
        }
      }
    }
    return out;
  }

  /** The entry stored for {@code id}, empty when its file does not exist; schema is always null. */
  Optional<ConfigurationEntry> read(String id) throws IOException {
    JsonNode root;
    try {
      root = YAML.readTree(Files.readString(fileOf(id)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new IOException("not valid YAML: " + firstLine(e.getMessage()));
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      root = YAML.createObjectNode();
    }
    if (!root.isObject()) {
      throw new IOException("must be a mapping with id, name, description and value");
    }
    JsonNode value = root.get("value");
    return Optional.of(
        new ConfigurationEntry(
            id,
            root.path("name").asText(id),
            root.path("description").asText(""),
            null,
            value == null || value.isNull() ? null : value,
            root.hasNonNull("metadata") ? root.get("metadata") : null));
  }

  void write(ConfigurationEntry entry) throws IOException {
    ObjectNode doc = YAML.createObjectNode();
    doc.put("id", entry.id());
    doc.put("name", entry.name());
    doc.put("description", entry.description());
    doc.set("value", entry.value() == null ? YAML.nullNode() : entry.value());
    if (entry.metadata() != null && !entry.metadata().isNull()) {
      doc.set("metadata", entry.metadata());
    }
    Files.createDirectories(directory);
    Path target = fileOf(entry.id());
    Path tmp = directory.resolve("." + entry.id() + EXTENSION + ".tmp");
    Files.writeString(tmp, YAML.writeValueAsString(doc));
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }
}
