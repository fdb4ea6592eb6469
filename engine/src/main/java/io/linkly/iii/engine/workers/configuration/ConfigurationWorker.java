package io.linkly.iii.engine.workers.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.DataDirectory;
import io.linkly.iii.engine.workers.EngineContext;
import io.linkly.iii.engine.workers.Input;
import io.linkly.iii.engine.workers.StartupException;
import io.linkly.iii.protocol.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code configuration} (BUILTINS.md §13): a registry of schema-checked settings by id, kept in
 * {@code <directory>/<id>.yaml} (the {@code fs} adapter) or only in memory, with the functions
 * {@code configuration::register|set|get|list|schema} and the {@code configuration} trigger type.
 * Built-ins keep their own settings here (see {@link LiveConfig}).
 *
 * <p>Values are stored verbatim; placeholders ({@code ${VAR:default}}) are expanded on every read.
 * The directory is watched: an edit of a file is picked up 500 ms after its last change, checked
 * against the schema its owner registered (an edit that fails is refused with one warning, and
 * the previous value stays in force) and announced as {@code configuration:updated}.
 */
public final class ConfigurationWorker implements BuiltinWorker {

  public static final String NAME = "configuration";
  private static final Pattern ID = Pattern.compile("[a-z0-9_-]{1,64}");
  private static final Logger log = LoggerFactory.getLogger(ConfigurationWorker.class);

  /** An entry and its compiled schema (null when the schema is unknown). */
  private record Stored(ConfigurationEntry entry, Schema schema) {}

  private final ConfigurationConfig config;
  private final String configPath;
  /** Where placeholders in stored values are looked up: the engine configuration's environment. */
  private volatile Function<String, String> env = System::getenv;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Stored> entries = new TreeMap<>(); // guarded by lock
  private ConfigurationFiles files; // null: memory adapter
  private DirectoryWatch watch;
  private ConfigurationTriggers triggers;

  ConfigurationWorker(ConfigurationConfig config, String configPath) {
    this.config = config;
    this.configPath = configPath;
  }

  public static ConfigurationWorker fromConfig(WorkerEntry entry) throws ConfigException {
    return new ConfigurationWorker(ConfigurationConfig.fromConfig(entry), ConfigBlock.of(entry).path());
  }

  static boolean validId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The directory the entries are kept in; empty for the memory adapter. */
  public Optional<Path> directory() {
    return Optional.ofNullable(files).map(ConfigurationFiles::directory);
  }

  @Override
  public void start(EngineContext context) throws StartupException {
    Engine engine = context.engine();
    env = context.env();
    if (config.directory() != null) {
      Path dir = config.directory().toAbsolutePath().normalize();
      DataDirectory.require(NAME, dir, dir, configPath + ".adapter.config.directory");
      files = new ConfigurationFiles(dir);
      try {
        files.loadAll().forEach((id, e) -> entries.put(id, new Stored(e, null)));
        watch = DirectoryWatch.start(dir, this::fileChanged);
      } catch (IOException e) {
        throw StartupException.cannotUse(NAME, dir, configPath + ".adapter.config.directory", String.valueOf(e.getMessage()), e);
      }
      log.info("configuration: {} stored setting(s) in {}", entries.size(), dir);
    }
    if (config.ttlSeconds() > 0) {
      log.warn("configuration: ttl_seconds is accepted but not applied by this engine; entries do not expire");
    }
    triggers = new ConfigurationTriggers(engine, context.blocking());
    Worker self = engine.registerBuiltinWorker(NAME);
    define(engine, self, context, "configuration::register",
        "Register a configuration id with its JSON Schema and, optionally, an initial value", this::register);
    define(engine, self, context, "configuration::set", "Replace a configuration's value (checked against its schema)", this::set);
    define(engine, self, context, "configuration::get", "A configuration's value, placeholders expanded unless raw", this::get);
    define(engine, self, context, "configuration::list", "Every configuration's id, name, description and schema, by id", this::list);
    define(engine, self, context, "configuration::schema", "One configuration's id, name, description and schema", this::schema);
    engine.registerTriggerType(self, ConfigurationTriggers.TYPE, "Configuration registered, updated or deleted", triggers);
  }

  private static void define(Engine engine, Worker self, EngineContext context, String id, String description, BuiltinFunction.SyncBody body) {
    // a write goes to disk: every function runs off the event loop, reads too (they take the same lock)
    engine.registerFunction(self, FunctionDefinition.of(id, description), BuiltinFunction.blocking(context.blocking(), body));
  }

  @Override
  public void close() {
    if (watch != null) {
      watch.close();
    }
  }

  // ------------------------------------------------------------------ functions

  private JsonNode register(Call call) {
    Input in = Input.of(call);
    String id = id(in);
    String name = in.requiredString("name");
    String description = in.requiredString("description");
    JsonNode schemaNode = in.raw().get("schema");
    if (schemaNode == null) {
      throw in.error("missing field `schema`");
    }
    JsonNode initial = present(in.raw().get("initial_value"));
    JsonNode metadata = present(in.raw().get("metadata"));
    Schema schema;
    try {
      schema = Schemas.compile(schemaNode);
    } catch (Schemas.BadSchema e) {
      throw new InvocationException("SCHEMA_INVALID", e.getMessage());
    }
    if (initial != null) {
      check(id, schema, initial);
    }
    lock.lock();
    try {
      Stored existing = entries.get(id);
      JsonNode value = initial != null ? initial : existing == null ? null : existing.entry().value();
      ConfigurationEntry entry = new ConfigurationEntry(id, name, description, schemaNode, value, metadata);
      persist(entry);
      entries.put(id, new Stored(entry, schema));
      if (existing == null) {
        announce("configuration:registered", entry, null);
      } else {
        announce("configuration:updated", entry, existing.entry().value());
      }
      return entry.withStoredValue();
    } finally {
      lock.unlock();
    }
  }

  private JsonNode set(Call call) {
    Input in = Input.of(call);
    String id = id(in);
    JsonNode value = in.raw().get("value");
    if (value == null) {
      throw in.error("missing field `value`");
    }
    lock.lock();
    try {
      Stored existing = entries.get(id);
      if (existing == null) {
        throw new InvocationException("NOT_REGISTERED", "configuration '" + id + "' is not registered");
      }
      if (existing.schema() == null) {
        throw new InvocationException(
            "SCHEMA_UNAVAILABLE",
            "configuration '" + id + "' has no schema yet (schemas are not stored on disk; its owner registers it again when it starts)");
      }
      check(id, existing.schema(), value);
      ConfigurationEntry entry = existing.entry().withValue(present(value));
      persist(entry);
      entries.put(id, new Stored(entry, existing.schema()));
      announce("configuration:updated", entry, existing.entry().value());
      ObjectNode out = Json.object();
      out.set("old_value", orNull(existing.entry().value()));
      out.set("new_value", orNull(entry.value()));
      return out;
    } finally {
      lock.unlock();
    }
  }

  private JsonNode get(Call call) {
    Input in = Input.of(call);
    String id = id(in);
    boolean raw = in.optionalBool("raw", false);
    Stored stored = stored(id);
    ObjectNode out = Json.object();
    out.put("id", id);
    if (raw) {
      out.set("value", orNull(stored.entry().value()));
      return out;
    }
    JsonNode applied;
    try {
      applied = Placeholders.expand(stored.entry().value(), env);
    } catch (Placeholders.UnsetVariable e) {
      log.error("configuration '{}' will not be loaded: {}", id, LogSafe.escape(e.getMessage()));
      throw new InvocationException("EXPAND_FAILED", "configuration '" + id + "' references an unset environment variable: " + e.getMessage());
    }
    if (stored.schema() != null) {
      List<String> problems = Schemas.problems(stored.schema(), applied);
      if (!problems.isEmpty()) {
        log.error("configuration '{}' is invalid after expansion and will not be loaded: {}", id, LogSafe.escape(String.join("; ", problems)));
        throw new InvocationException("SCHEMA_INVALID", "schema validation failed: " + String.join("; ", problems));
      }
    }
    out.set("value", orNull(applied));
    return out;
  }

  private JsonNode list(Call call) {
    Input.of(call);
    ObjectNode out = Json.object();
    ArrayNode list = out.putArray("configurations");
    lock.lock();
    try {
      entries.values().forEach(s -> list.add(s.entry().view())); // a TreeMap: sorted by id
    } finally {
      lock.unlock();
    }
    return out;
  }

  private JsonNode schema(Call call) {
    return stored(id(Input.of(call))).entry().view();
  }

  // ------------------------------------------------------------------ helpers

  private static String id(Input in) {
    String id = in.requiredString("id");
    if (!validId(id)) {
      throw new InvocationException(
          "INVALID_ID", "invalid configuration id '" + LogSafe.escape(id) + "': ids are 1 to 64 of a-z, 0-9, '_' and '-'");
    }
    return id;
  }

  private Stored stored(String id) {
    lock.lock();
    try {
      Stored stored = entries.get(id);
      if (stored == null) {
        throw new InvocationException("NOT_FOUND", "configuration '" + id + "' not found");
      }
      return stored;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Validates what the value becomes after expansion; a value that names an unset variable is
   * stored unchecked (it is checked again on every read), as upstream.
   */
  private void check(String id, Schema schema, JsonNode value) {
    List<String> problems = problems(id, schema, value);
    if (!problems.isEmpty()) {
      throw new InvocationException("SCHEMA_INVALID", "schema validation failed: " + String.join("; ", problems));
    }
  }

  private List<String> problems(String id, Schema schema, JsonNode value) {
    try {
      return Schemas.problems(schema, Placeholders.expand(value, env));
    } catch (Placeholders.UnsetVariable e) {
      log.warn("configuration '{}': stored without validation: {}", id, LogSafe.escape(e.getMessage()));
      return List.of();
    }
  }

  private void persist(ConfigurationEntry entry) {
    if (files == null) {
      return;
    }
    try {
      files.write(entry);
    } catch (IOException e) {
      throw new InvocationException("ADAPTER_ERROR", "configuration '" + entry.id() + "' could not be stored: " + e.getMessage());
    }
  }

  private void announce(String eventType, ConfigurationEntry entry, JsonNode oldValue) {
    ObjectNode payload = Json.object();
    payload.put("type", "configuration");
    payload.put("event_type", eventType);
    payload.put("id", entry.id());
    payload.put("name", entry.name());
    payload.put("description", entry.description());
    payload.set("schema", orNull(entry.schema()));
    payload.set("old_value", orNull(expandedOrRaw(eventType.endsWith("registered") ? null : oldValue)));
    payload.set("new_value", orNull(expandedOrRaw(eventType.endsWith("deleted") ? null : entry.value())));
    if (entry.metadata() != null) {
      payload.set("metadata", entry.metadata());
    }
    triggers.fire(entry.id(), eventType, payload);
  }

  private JsonNode expandedOrRaw(JsonNode value) {
    try {
      return Placeholders.expand(value, env);
    } catch (Placeholders.UnsetVariable e) {
      return value;
    }
  }

  /** An edit of {@code <id>.yaml} from outside the engine, once the file has been quiet. */
  void fileChanged(String id) {
    lock.lock();
    try {
      Stored existing = entries.get(id);
      Optional<ConfigurationEntry> onDisk;
      try {
        onDisk = files.read(id);
      } catch (IOException e) {
        log.warn("configuration: edit of {} refused, keeping the previous value: {}", files.fileOf(id), LogSafe.escape(e.getMessage()));
        return;
      }
      if (onDisk.isEmpty()) {
        if (existing != null) {
          entries.remove(id);
          log.info("configuration '{}': its file was deleted", id);
          announce("configuration:deleted", existing.entry(), existing.entry().value());
        }
        return;
      }
      ConfigurationEntry edited = onDisk.get();
      if (existing == null) {
        entries.put(id, new Stored(edited, null));
        announce("configuration:registered", edited, null);
        return;
      }
      ConfigurationEntry current = existing.entry();
      if (Objects.equals(current.value(), edited.value())
          && current.name().equals(edited.name())
          && current.description().equals(edited.description())
          && Objects.equals(current.metadata(), edited.metadata())) {
        return; // our own write, or an edit that changes nothing
      }
      if (existing.schema() != null) {
        List<String> problems;
        try {
          problems = Schemas.problems(existing.schema(), Placeholders.expand(edited.value(), env));
        } catch (Placeholders.UnsetVariable e) {
          problems = List.of(e.getMessage());
        }
        if (!problems.isEmpty()) {
          log.warn("configuration: edit of {} refused, keeping the previous value: {}", files.fileOf(id), LogSafe.escape(String.join("; ", problems)));
          return;
        }
      }
      ConfigurationEntry entry =
          new ConfigurationEntry(id, edited.name(), edited.description(), current.schema(), edited.value(), edited.metadata());
      entries.put(id, new Stored(entry, existing.schema()));
      log.info("configuration '{}': edit of {} accepted", id, files.fileOf(id));
      announce("configuration:updated", entry, current.value());
    } finally {
      lock.unlock();
    }
  }

  private static JsonNode present(JsonNode value) {
    return value == null || value.isNull() ? null : value;
  }

  private static JsonNode orNull(JsonNode value) {
    return value == null ? Json.mapper().nullNode() : value;
  }
}
