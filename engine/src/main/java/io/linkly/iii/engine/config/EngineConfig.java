package io.linkly.iii.engine.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.linkly.iii.engine.core.EngineVersion;
import io.linkly.iii.protocol.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The engine's configuration: the list of built-in workers to run, each with its config block
 * (BUILTINS.md §1). With no config file the engine runs {@link #defaults()}. {@code env} is where
 * {@code ${VAR}} placeholders were looked up; the configuration worker expands the ones in stored
 * values from the same place.
 */
public record EngineConfig(List<WorkerEntry> workers, List<LocalWorkerEntry> localWorkers, Function<String, String> env) {

  public static final String WORKER_MANAGER = "iii-worker-manager";
  public static final String DATABASE = "database";
  public static final String CONFIGURATION = "configuration";

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /**
   * Workers that run when no config file exists. Mandatory workers are added on top of any
   * configuration by the engine itself.
   */
  private static final List<String> DEFAULT_ON = List.of("iii-http", "iii-state", "iii-pubsub", "iii-stream", "iii-cron", DATABASE);

  /**
   * Default workers that keep files under the working directory ({@code database}: ./data/iii.db).
   * An ephemeral engine leaves them out; a test that wants one configures it, e.g.
   * {@code ephemeral().withSetting("database", "databases", …)} with a file in a temp directory.
   */
  private static final List<String> WRITES_TO_WORKING_DIRECTORY = List.of(DATABASE);

  /** Default workers that listen on a port of their own. */
  private static final List<String> LISTENERS = List.of("iii-http", "iii-stream");

  /**
   * The registry names the tutorial's {@code iii worker add} writes, for the built-ins that serve
   * them (BUILTINS.md §1: upstream's external replacements of its deprecated built-in names).
   */
  public static final Map<String, String> REGISTRY_NAMES =
      Map.of("http", "iii-http", "state", "iii-state", "queue", "iii-queue", "pubsub", "iii-pubsub", "cron", "iii-cron");

  public EngineConfig {
    workers = List.copyOf(workers);
    localWorkers = List.copyOf(localWorkers);
  }

  /** Built-in workers only, placeholders from the process environment. */
  public EngineConfig(List<WorkerEntry> workers) {
    this(workers, List.of(), System::getenv);
  }

  public static EngineConfig defaults() {
    List<WorkerEntry> entries = new ArrayList<>();
    for (String name : DEFAULT_ON) {
      entries.add(new WorkerEntry(name, Json.object(), "defaults." + name));
    }
    return new EngineConfig(entries);
  }

  /**
   * The defaults with every listener on an ephemeral port and nothing written to the working
   * directory, for tests and embedded use: the {@code configuration} worker keeps its settings in
   * memory (its default would be ./config).
   */
  public static EngineConfig ephemeral() {
    List<WorkerEntry> entries =
        defaults().workers().stream().filter(w -> !WRITES_TO_WORKING_DIRECTORY.contains(w.name())).toList();
    ObjectNode inMemory = Json.object();
    inMemory.put("name", "memory");
    EngineConfig config = new EngineConfig(entries).withPort(WORKER_MANAGER, 0).withSetting(CONFIGURATION, "adapter", inMemory);
    for (String listener : LISTENERS) {
      if (!config.entries(listener).isEmpty()) {
        config = config.withPort(listener, 0);
      }
    }
    return config;
  }

  /** Sets {@code port} in the first entry of {@code worker}, adding the entry if absent. */
  public EngineConfig withPort(String worker, int port) {
    return withSetting(worker, "port", Json.mapper().getNodeFactory().numberNode(port));
  }

  public EngineConfig withWorkerPort(int port) {
    return withPort(WORKER_MANAGER, port);
  }

  /** Sets one key in the first entry of {@code worker}'s config block, adding the entry if absent. */
  public EngineConfig withSetting(String worker, String key, JsonNode value) {
    List<WorkerEntry> entries = new ArrayList<>(workers);
    for (int i = 0; i < entries.size(); i++) {
      WorkerEntry entry = entries.get(i);
      if (entry.name().equals(worker)) {
        ObjectNode config =
            entry.config() instanceof ObjectNode object ? object.deepCopy() : Json.object();
        config.set(key, value);
        ObjectNode seed = entry.seed() instanceof ObjectNode object ? object.deepCopy() : Json.object();
        seed.set(key, value);
        entries.set(i, new WorkerEntry(worker, config, entry.path(), seed));
        return new EngineConfig(entries, localWorkers, env);
      }
    }
    ObjectNode config = Json.object();
    config.set(key, value);
    entries.add(new WorkerEntry(worker, config, "workers[" + entries.size() + "]"));
    return new EngineConfig(entries, localWorkers, env);
  }

  /**
   * This config with every key of every entry of {@code overlay} set in the first entry of the
   * same worker (added if absent); the overlay's blocks as written become the seeds of those keys.
   * A profile is a base config and an overlay of the settings that differ.
   */
  public EngineConfig overlaidWith(EngineConfig overlay) {
    List<WorkerEntry> entries = new ArrayList<>(workers);
    for (WorkerEntry over : overlay.workers()) {
      int at = -1;
      for (int i = 0; i < entries.size() && at < 0; i++) {
        at = entries.get(i).name().equals(over.name()) ? i : -1;
      }
      if (at < 0) {
        entries.add(new WorkerEntry(over.name(), over.config(), "workers[" + entries.size() + "]", over.seed()));
        continue;
      }
      WorkerEntry base = entries.get(at);
      ObjectNode config = base.config() instanceof ObjectNode object ? object.deepCopy() : Json.object();
      ObjectNode seed = base.seed() instanceof ObjectNode object ? object.deepCopy() : Json.object();
      if (over.config() instanceof ObjectNode keys) {
        keys.fields().forEachRemaining(key -> config.set(key.getKey(), key.getValue()));
      }
      if (over.seed() instanceof ObjectNode keys) {
        keys.fields().forEachRemaining(key -> seed.set(key.getKey(), key.getValue()));
      }
      entries.set(at, new WorkerEntry(base.name(), config, base.path(), seed));
    }
    return new EngineConfig(entries, localWorkers, env);
  }

  /** Adds a worker entry with the given config block. */
  public EngineConfig with(String worker, JsonNode config) {
    List<WorkerEntry> entries = new ArrayList<>(workers);
    entries.add(new WorkerEntry(worker, config, "workers[" + entries.size() + "]"));
    return new EngineConfig(entries, localWorkers, env);
  }

  public List<WorkerEntry> entries(String name) {
    return workers.stream().filter(w -> w.name().equals(name)).toList();
  }

  /** Reads a config file; a missing file yields {@link #defaults()}. */
  public static EngineConfig load(Path path, Function<String, String> env) throws ConfigException {
    String text;
    try {
      text = Files.readString(path);
    } catch (NoSuchFileException e) {
      return defaults();
    } catch (IOException e) {
      throw new ConfigException(path + ": cannot be read: " + e.getMessage());
    }
    return parse(text, env);
  }

  public static EngineConfig parse(String text, Function<String, String> env) throws ConfigException {
    String expanded = EnvSubstitution.apply(text, env, EngineVersion.VERSION);
    JsonNode root;
    try {
      root = YAML.readTree(expanded);
    } catch (IOException e) {
      throw new ConfigException("invalid YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return new EngineConfig(List.of(), List.of(), env);
    }
    if (!root.isObject()) {
      throw new ConfigException("top level: must be a mapping with a 'workers' list");
    }
    for (Iterator<String> keys = root.fieldNames(); keys.hasNext(); ) {
      String key = keys.next();
      if (!key.equals("workers") && !key.equals("modules")) {
        throw new ConfigException(key + ": unknown top-level key (expected workers)");
      }
    }
    List<WorkerEntry> entries = new ArrayList<>();
    List<LocalWorkerEntry> local = new ArrayList<>();
    Map<String, String> namedAs = new HashMap<>(); // built-in name -> the name the file used first
    readList(root, "workers", entries, local, namedAs);
    readList(root, "modules", entries, local, namedAs);
    return new EngineConfig(withSeeds(entries, text), local, env);
  }

  /**
   * The entries with their blocks as written ({@link WorkerEntry#seed}), read from the text
   * before substitution. Where that text is not YAML of the same shape (a placeholder standing for
   * YAML structure), the expanded block is the seed.
   */
  private static List<WorkerEntry> withSeeds(List<WorkerEntry> entries, String text) {
    JsonNode raw;
    try {
      raw = YAML.readTree(text);
    } catch (IOException e) {
      return entries;
    }
    List<WorkerEntry> seeded = new ArrayList<>();
    for (WorkerEntry entry : entries) {
      JsonNode block = raw == null ? null : raw.at("/" + entry.path().replace('[', '/').replace("]", "") + "/config");
      boolean sameShape = block != null && !block.isMissingNode() && entry.config() != null && block.isObject() == entry.config().isObject();
      seeded.add(sameShape ? new WorkerEntry(entry.name(), entry.config(), entry.path(), block) : entry);
    }
    return seeded;
  }

  private static void readList(
      JsonNode root, String key, List<WorkerEntry> into, List<LocalWorkerEntry> local, Map<String, String> namedAs)
      throws ConfigException {
    if (!root.has(key)) {
      return;
    }
    JsonNode list = root.get(key);
    if (!list.isArray()) {
      throw new ConfigException(key + ": must be a list (write '" + key + ": []' for none)");
    }
    for (int i = 0; i < list.size(); i++) {
      String path = key + "[" + i + "]";
      JsonNode item = list.get(i);
      if (!item.isObject()) {
        throw new ConfigException(path + ": must be a mapping with a name");
      }
      for (Iterator<String> fields = item.fieldNames(); fields.hasNext(); ) {
        String field = fields.next();
        if (!field.equals("name") && !field.equals("config") && !field.equals("image") && !field.equals("worker_path")) {
          throw new ConfigException(path + "." + field + ": unknown key (expected name, config, worker_path)");
        }
      }
      JsonNode name = item.get("name");
      if (name == null || !name.isTextual() || name.textValue().isBlank()) {
        throw new ConfigException(path + ".name: required, must be a string");
      }
      if (item.hasNonNull("image")) {
        throw new ConfigException(
            path + ".image: external worker images are not supported; run the worker yourself and point it at the engine");
      }
      if (item.hasNonNull("worker_path")) {
        JsonNode workerPath = item.get("worker_path");
        if (!workerPath.isTextual() || workerPath.textValue().isBlank()) {
          throw new ConfigException(path + ".worker_path: must be a directory path");
        }
        local.add(new LocalWorkerEntry(name.textValue(), workerPath.textValue(), path));
        continue;
      }
      String builtin = REGISTRY_NAMES.getOrDefault(name.textValue(), name.textValue());
      String earlier = namedAs.putIfAbsent(builtin, name.textValue());
      if (earlier != null && !earlier.equals(name.textValue())) {
        throw new ConfigException(
            path + ".name: Duplicate worker configurations: '" + earlier + "' and '" + name.textValue() + "' are the same worker");
      }
      into.add(new WorkerEntry(builtin, item.get("config"), path));
    }
  }
}
