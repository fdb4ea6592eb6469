package io.linkly.iii.engine.workers.cron;

import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.redis.RedisClients;
import java.util.Set;

/**
 * The {@code iii-cron} config block (BUILTINS.md §8), strict like upstream's. It only chooses
 * where the locks that keep a job from running twice live:
 *
 * <pre>
 * adapter:
 *   name: kv                       # the default: locks in this engine's memory
 *   config:
 *     lock_ttl_ms: 30000
 *     lock_index: cron_locks
 *     store_method: in_memory      # also file_path, save_interval_ms: accepted as upstream's,
 *                                  # but a lock only lives for one run, so it is never written
 * # or
 * adapter:
 *   name: redis                    # locks shared by every engine on this Redis
 *   config:
 *     redis_url: redis://127.0.0.1:6379
 * </pre>
 */
public record CronConfig(Adapter adapter) {

  /** The JSON Schema the configuration worker checks this block against. */
  public static final String SCHEMA =
      """
      {"type": "object", "additionalProperties": false, "properties": {
        "adapter": {"type": "object", "additionalProperties": false, "required": ["name"], "properties": {
          "name": {"enum": ["kv", "redis"]},
          "config": {"type": ["object", "null"], "additionalProperties": false, "properties": {
            "store_method": {"enum": ["in_memory", "file_based"]},
            "file_path": {"type": "string", "minLength": 1},
            "save_interval_ms": {"type": "integer", "minimum": 100, "maximum": 3600000},
            "lock_ttl_ms": {"type": "integer", "minimum": 1},
            "lock_index": {"type": "string", "minLength": 1},
            "redis_url": {"type": "string"}}}}}}}
      """;
  public static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
  static final long DEFAULT_LOCK_TTL_MS = 30_000;
  static final String DEFAULT_LOCK_INDEX = "cron_locks";
  private static final long MIN_SAVE_INTERVAL_MS = 100;
  private static final long MAX_SAVE_INTERVAL_MS = 3_600_000;

  /** Where the job locks live. */
  public sealed interface Adapter {}

  /** Locks in this engine's memory: every engine runs every job. */
  public record Kv(long lockTtlMs, String lockIndex) implements Adapter {}

  /** Locks in Redis: each firing of a job runs on one engine of those sharing the Redis. */
  public record Redis(String url) implements Adapter {}

  public static CronConfig defaults() {
    return new CronConfig(new Kv(DEFAULT_LOCK_TTL_MS, DEFAULT_LOCK_INDEX));
  }

  public static CronConfig from(WorkerEntry entry) throws ConfigException {
    return from(ConfigBlock.of(entry));
  }

  static CronConfig from(ConfigBlock block) throws ConfigException {
    block.onlyKeys(Set.of("adapter"));
    if (!block.has("adapter")) {
      return defaults();
    }
    ConfigBlock adapter = block.child("adapter").onlyKeys(Set.of("name", "config"));
    String name = adapter.string("name", null);
    if (name == null) {
      throw new ConfigException(adapter.path() + ".name: required (kv or redis)");
    }
    ConfigBlock config = adapter.child("config");
    return switch (name) {
      case "kv" -> new CronConfig(kv(config));
      case "redis" -> new CronConfig(redis(config));
      default -> throw new ConfigException(adapter.path() + ".name: unknown adapter '" + name + "' (expected kv or redis)");
    };
  }

  private static Kv kv(ConfigBlock config) throws ConfigException {
    config.onlyKeys(Set.of("store_method", "file_path", "save_interval_ms", "lock_ttl_ms", "lock_index"));
    String method = config.string("store_method", "in_memory");
    if (!method.equals("in_memory") && !method.equals("file_based")) {
      throw new ConfigException(config.path() + ".store_method: must be in_memory or file_based, got '" + method + "'");
    }
    if (config.string("file_path", "kv_store_data.db").isBlank()) {
      throw new ConfigException(config.path() + ".file_path: must name a directory");
    }
    long saveInterval = config.integer("save_interval_ms", 5000);
    if (saveInterval < MIN_SAVE_INTERVAL_MS || saveInterval > MAX_SAVE_INTERVAL_MS) {
      throw new ConfigException(config.path() + ".save_interval_ms: must be between " + MIN_SAVE_INTERVAL_MS + " and "
          + MAX_SAVE_INTERVAL_MS + ", got " + saveInterval);
    }
    long lockTtl = config.positive("lock_ttl_ms", DEFAULT_LOCK_TTL_MS);
    String lockIndex = config.string("lock_index", DEFAULT_LOCK_INDEX);
    if (lockIndex.isEmpty()) {
      throw new ConfigException(config.path() + ".lock_index: must not be empty");
    }
    return new Kv(lockTtl, lockIndex);
  }

  private static Redis redis(ConfigBlock config) throws ConfigException {
    // Upstream's redis lock has a fixed TTL (30 s) and key prefix (cron_lock:): nothing else to set.
    config.onlyKeys(Set.of("redis_url"));
    String url = RedisClients.redisUrl(config, DEFAULT_REDIS_URL);
    return new Redis(url);
  }
}
