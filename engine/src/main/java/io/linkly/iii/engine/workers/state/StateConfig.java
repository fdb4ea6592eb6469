package io.linkly.iii.engine.workers.state;

import io.linkly.iii.engine.bridge.BridgeUrl;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.redis.RedisClients;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@code iii-state} config block (BUILTINS.md §6.1), strict like upstream's:
 *
 * <pre>
 * adapter:
 *   name: kv                      # the default: state in this engine
 *   config:
 *     store_method: in_memory     # or file_based (durable)
 *     file_path: ./data/state_store
 *     save_interval_ms: 5000      # how often an idle store checks whether to compact
 * # or
 * adapter:
 *   name: redis                   # state shared by every engine on this Redis
 *   config:
 *     redis_url: redis://127.0.0.1:6379
 * # or
 * adapter:
 *   name: bridge                  # state kept by another engine, reached over its worker socket
 *   config:
 *     bridge_url: ws://127.0.0.1:49134   # required
 * triggers_enabled: true
 * max_value_bytes: 1048576        # unset = no limit
 * save_interval_ms: 5000          # overrides adapter.config.save_interval_ms (kv only)
 * </pre>
 *
 * {@code triggers_enabled} and {@code max_value_bytes} are live settings; the adapter is read at
 * start only.
 */
public record StateConfig(Adapter adapter, boolean triggersEnabled, Long maxValueBytes) {

  public static final String DEFAULT_FILE_PATH = "./data/state_store";
  public static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

  /** The JSON Schema the configuration worker checks this block against: each adapter with its own keys. */
  public static final String SCHEMA =
      """
      {"type": "object", "additionalProperties": false, "properties": {
        "adapter": {"type": "object", "additionalProperties": false, "required": ["name"], "properties": {
          "name": {"enum": ["kv", "redis", "bridge"]},
          "config": {"type": "object"}},
          "allOf": [
            {"if": {"required": ["name"], "properties": {"name": {"const": "kv"}}},
             "then": {"properties": {
               "config": {"type": "object", "additionalProperties": false, "properties": {
                 "store_method": {"enum": ["in_memory", "file_based"]},
                 "file_path": {"type": "string", "minLength": 1},
                 "save_interval_ms": {"type": "integer", "minimum": 100, "maximum": 3600000}}}}}},
            {"if": {"required": ["name"], "properties": {"name": {"const": "redis"}}},
             "then": {"properties": {
               "config": {"type": "object", "additionalProperties": false, "properties": {
                 "redis_url": {"type": "string", "minLength": 1}}}}}},
            {"if": {"required": ["name"], "properties": {"name": {"const": "bridge"}}},
             "then": {"required": ["config"], "properties": {
               "config": {"type": "object", "additionalProperties": false, "required": ["bridge_url"], "properties": {
                 "bridge_url": {"type": "string", "pattern": "^[Ww][Ss][Ss]?://"}}}}}}]},
        "triggers_enabled": {"type": "boolean"},
        "max_value_bytes": {"type": ["integer", "null"], "minimum": 1},
        "save_interval_ms": {"type": "integer", "minimum": 100, "maximum": 3600000}}}
      """;
  public static final long DEFAULT_SAVE_INTERVAL_MS = 5000;
  private static final long MIN_SAVE_INTERVAL_MS = 100;
  private static final long MAX_SAVE_INTERVAL_MS = 3_600_000;

  public enum StoreMethod {
    IN_MEMORY("in_memory"),
    FILE_BASED("file_based");

    private final String wire;

    StoreMethod(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }
  }

  /** Where state lives. */
  public sealed interface Adapter {}

  /** The {@code kv} adapter: state in this engine; {@code filePath} is a directory. */
  public record Kv(StoreMethod storeMethod, Path filePath, long saveIntervalMs) implements Adapter {}

  /** The {@code redis} adapter: state in Redis, shared by every engine that uses it. */
  public record Redis(String url) implements Adapter {
    @Override
    public String toString() {
      return "Redis[" + RedisClients.redact(url) + "]"; // never a password in a log line
    }
  }

  /** The {@code bridge} adapter: state kept by the engine whose worker socket is {@code url}. */
  public record Bridge(URI url) implements Adapter {}

  public static StateConfig defaults() {
    return new StateConfig(new Kv(StoreMethod.IN_MEMORY, Path.of(DEFAULT_FILE_PATH), DEFAULT_SAVE_INTERVAL_MS), true, null);
  }

  public static StateConfig from(WorkerEntry entry) throws ConfigException {
    ConfigBlock block =
        ConfigBlock.of(entry).onlyKeys(Set.of("adapter", "triggers_enabled", "max_value_bytes", "save_interval_ms"));
    Adapter adapter = adapter(block.child("adapter"));
    if (block.has("save_interval_ms")) {
      long interval = saveInterval(block); // checked for every adapter; only kv has a use for it
      if (adapter instanceof Kv kv) {
        adapter = new Kv(kv.storeMethod(), kv.filePath(), interval);
      }
    }
    Long maxValueBytes = null;
    if (block.has("max_value_bytes")) {
      maxValueBytes = block.integer("max_value_bytes", 0);
      if (maxValueBytes < 1) {
        throw new ConfigException(block.path() + ".max_value_bytes: must be at least 1, got " + maxValueBytes);
      }
    }
    return new StateConfig(adapter, block.bool("triggers_enabled", true), maxValueBytes);
  }

  private static Adapter adapter(ConfigBlock block) throws ConfigException {
    if (block.node().isMissingNode()) {
      return defaults().adapter();
    }
    block.onlyKeys(Set.of("name", "config"));
    String name = block.string("name", null);
    if (name == null) {
      throw new ConfigException(block.path() + ".name: required (kv, redis or bridge)");
    }
    return switch (name) {
      case "kv" -> kv(block.child("config"));
      case "redis" -> redis(block.child("config"));
      case "bridge" -> new Bridge(BridgeUrl.read(block.child("config")));
      default ->
          throw new ConfigException(block.path() + ".name: adapter '" + name + "' is not available in this engine (available: kv, redis, bridge)");
    };
  }

  private static Kv kv(ConfigBlock kv) throws ConfigException {
    kv.onlyKeys(Set.of("store_method", "file_path", "save_interval_ms"));
    String method = kv.string("store_method", StoreMethod.IN_MEMORY.wire());
    StoreMethod storeMethod = null;
    for (StoreMethod m : StoreMethod.values()) {
      if (m.wire().equals(method)) {
        storeMethod = m;
      }
    }
    if (storeMethod == null) {
      throw new ConfigException(
          kv.path() + ".store_method: must be in_memory or file_based, got '" + method + "'");
    }
    String filePath = kv.string("file_path", DEFAULT_FILE_PATH);
    if (filePath.isBlank()) {
      throw new ConfigException(kv.path() + ".file_path: must name a directory");
    }
    long interval = kv.has("save_interval_ms") ? saveInterval(kv) : DEFAULT_SAVE_INTERVAL_MS;
    return new Kv(storeMethod, Path.of(filePath), interval);
  }

  private static Redis redis(ConfigBlock config) throws ConfigException {
    // upstream's redis state adapter has a fixed key layout (state:<scope>): the URL is all there is to set
    config.onlyKeys(Set.of("redis_url"));
    String url = RedisClients.redisUrl(config, DEFAULT_REDIS_URL);
    return new Redis(url);
  }

  private static long saveInterval(ConfigBlock block) throws ConfigException {
    long value = block.integer("save_interval_ms", DEFAULT_SAVE_INTERVAL_MS);
    if (value < MIN_SAVE_INTERVAL_MS || value > MAX_SAVE_INTERVAL_MS) {
      throw new ConfigException(
          block.path() + ".save_interval_ms: must be between " + MIN_SAVE_INTERVAL_MS + " and "
              + MAX_SAVE_INTERVAL_MS + ", got " + value);
    }
    return value;
  }
}
