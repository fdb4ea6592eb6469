package io.linkly.iii.engine.workers.pubsub;

import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.redis.RedisClients;
import java.util.Set;

/**
 * The {@code iii-pubsub} config block (BUILTINS.md §5), strict like upstream's:
 *
 * <pre>
 * adapter:
 *   name: local            # default; takes no config
 * # or
 * adapter:
 *   name: redis
 *   config:
 *     redis_url: redis://127.0.0.1:6379   # the default
 * </pre>
 */
public record PubSubConfig(Adapter adapter, String redisUrl) {

  public static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

  /** The JSON Schema the configuration worker checks this block against. */
  public static final String SCHEMA =
      """
      {"type": "object", "additionalProperties": false, "properties": {
        "adapter": {"type": "object", "additionalProperties": false, "required": ["name"], "properties": {
          "name": {"enum": ["local", "redis"]},
          "config": {"type": ["object", "null"], "additionalProperties": false, "properties": {
            "redis_url": {"type": "string"}}}}}}}
      """;

  public enum Adapter { LOCAL, REDIS }

  public static PubSubConfig defaults() {
    return new PubSubConfig(Adapter.LOCAL, null);
  }

  public static PubSubConfig fromConfig(WorkerEntry entry) throws ConfigException {
    return from(ConfigBlock.of(entry));
  }

  static PubSubConfig from(ConfigBlock block) throws ConfigException {
    block.onlyKeys(Set.of("adapter"));
    if (!block.has("adapter")) {
      return defaults();
    }
    ConfigBlock adapter = block.child("adapter").onlyKeys(Set.of("name", "config"));
    String name = adapter.string("name", null);
    if (name == null) {
      throw new ConfigException(adapter.path() + ".name: required (local or redis)");
    }
    ConfigBlock config = adapter.child("config");
    return switch (name) {
      case "local" -> {
        if (config.node().size() > 0) {
          throw new ConfigException(config.path() + ": the local adapter takes no config");
        }
        yield defaults();
      }
      case "redis" -> {
        config.onlyKeys(Set.of("redis_url"));
        String url = RedisClients.redisUrl(config, DEFAULT_REDIS_URL);
        yield new PubSubConfig(Adapter.REDIS, url);
      }
      default -> throw new ConfigException(adapter.path() + ".name: unknown adapter '" + name + "' (expected local or redis)");
    };
  }
}
