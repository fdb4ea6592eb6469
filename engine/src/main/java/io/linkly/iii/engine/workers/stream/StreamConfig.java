package io.linkly.iii.engine.workers.stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.bridge.BridgeUrl;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.redis.RedisClients;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The {@code iii-stream} config block (BUILTINS.md §4.1), plus our own keys:
 * {@code history_size} (changes kept per group for resuming clients) and
 * {@code max_buffered_bytes} and {@code slow_subscriber_grace_ms} (a subscriber whose unread output
 * stays over the bound for the grace period is cut off), and the redis adapter's {@code key_prefix}
 * (put in front of every key and of the change channel; default none, upstream's names);
 * {@code max_subscriptions_per_connection} (default 256: a socket's joins past it get an
 * {@code error} event) and {@code retention} (stream name → {@code max_items}, and optionally
 * {@code groups}: each group of that stream, or each listed group, keeps its newest items only;
 * default none, upstream keeps everything). A stream may hold both a feed to bound and groups that
 * must not lose an item, such as one item per key. The {@code bridge} adapter takes one key,
 * {@code bridge_url} (required, ws:// or wss://): the worker socket of the engine that keeps the
 * streams.
 */
record StreamConfig(
    String host,
    int port,
    String authFunction,
    Adapter adapter,
    int historySize,
    long maxBufferedBytes,
    long slowSubscriberGraceMs,
    int maxSubscriptionsPerConnection,
    Map<String, Retention> retention) {

  static final int DEFAULT_PORT = 3112;

  /** The JSON Schema the configuration worker checks this block against. */
  static final String SCHEMA =
      """
      {"type": "object", "additionalProperties": false, "properties": {
        "port": {"type": "integer", "minimum": 0, "maximum": 65535},
        "host": {"type": "string"},
        "auth_function": {"type": ["string", "null"]},
        "adapter": {"type": "object", "additionalProperties": false, "properties": {
          "name": {"enum": ["kv", "redis", "bridge"]},
          "config": {"type": ["object", "null"], "properties": {
            "store_method": {"enum": ["in_memory", "file_based"]},
            "file_path": {"type": "string"},
            "save_interval_ms": {"type": "integer"},
            "channel_size": {"type": "integer", "minimum": 1, "maximum": 1048576},
            "redis_url": {"type": "string"},
            "key_prefix": {"type": "string"},
            "bridge_url": {"type": "string", "pattern": "^[Ww][Ss][Ss]?://"}}}},
          "if": {"required": ["name"], "properties": {"name": {"const": "bridge"}}},
          "then": {"required": ["config"], "properties": {"config": {"type": "object", "required": ["bridge_url"]}}}},
        "history_size": {"type": "integer", "minimum": 1},
        "max_buffered_bytes": {"type": "integer", "minimum": 1},
        "slow_subscriber_grace_ms": {"type": "integer", "minimum": 1},
        "max_subscriptions_per_connection": {"type": "integer", "minimum": 1},
        "retention": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": false,
          "properties": {"max_items": {"type": "integer", "minimum": 1}, "groups": {"type": "array", "items": {"type": "string"}}}}}}}
      """;

  enum Kind {
    MEMORY,
    FILE,
    REDIS,
    BRIDGE
  }

  /** The fields of the other kinds are null. */
  record Adapter(Kind kind, Path filePath, String redisUrl, String keyPrefix, URI bridgeUrl) {}

  /** A stream's bound: {@code maxItems} per group, for the groups in {@code groups} (null: every group). */
  record Retention(int maxItems, Set<String> groups) {}

  static StreamConfig fromConfig(WorkerEntry entry) throws ConfigException {
    ConfigBlock c =
        ConfigBlock.of(entry)
            .onlyKeys(Set.of("port", "host", "auth_function", "adapter", "history_size", "max_buffered_bytes", "slow_subscriber_grace_ms",
                "max_subscriptions_per_connection", "retention"));
    Adapter adapter = adapter(c.child("adapter"));
    Map<String, Retention> retention = retention(c.child("retention"));
    if (!retention.isEmpty() && adapter.kind() == Kind.BRIDGE) {
      throw new ConfigException(c.path() + ".retention: not available with the bridge adapter; the backend engine's own config bounds its streams");
    }
    return new StreamConfig(
        c.string("host", "127.0.0.1"),
        c.port("port", DEFAULT_PORT),
        c.string("auth_function", null),
        adapter,
        (int) Math.min(1_000_000, c.positive("history_size", 1024)),
        c.positive("max_buffered_bytes", 1024 * 1024),
        c.positive("slow_subscriber_grace_ms", 2000),
        (int) Math.min(100_000, c.positive("max_subscriptions_per_connection", 256)),
        retention);
  }

  /** The items group {@code group} of {@code stream} keeps, or 0 for no bound. */
  int maxItems(String stream, String group) {
    Retention r = retention.get(stream);
    return r == null || (r.groups() != null && !r.groups().contains(group)) ? 0 : r.maxItems();
  }

  private static Map<String, Retention> retention(ConfigBlock block) throws ConfigException {
    Map<String, Retention> out = new HashMap<>();
    for (Iterator<String> names = block.node().fieldNames(); names.hasNext(); ) {
      String stream = names.next();
      ConfigBlock one = block.child(stream).onlyKeys(Set.of("max_items", "groups"));
      int maxItems = (int) Math.min(10_000_000, one.positive("max_items", Integer.MAX_VALUE));
      out.put(stream, new Retention(maxItems, groups(one)));
    }
    return Map.copyOf(out);
  }

  /** {@code groups}: a list of group ids, or absent for every group. */
  private static Set<String> groups(ConfigBlock one) throws ConfigException {
    JsonNode node = one.node().get("groups");
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isArray() || node.isEmpty()) {
      throw new ConfigException(one.path() + ".groups: must be a non-empty list of group ids, got " + node);
    }
    Set<String> out = new HashSet<>();
    for (JsonNode group : node) {
      if (!group.isTextual() || group.textValue().isEmpty()) {
        throw new ConfigException(one.path() + ".groups: every group id must be a non-empty string, got " + group);
      }
      out.add(group.textValue());
    }
    return Set.copyOf(out);
  }

  private static Adapter adapter(ConfigBlock a) throws ConfigException {
    a.onlyKeys(Set.of("name", "config"));
    String name = a.string("name", "kv");
    ConfigBlock config = a.child("config");
    switch (name) {
      case "kv" -> {
        config.onlyKeys(Set.of("store_method", "file_path", "save_interval_ms", "channel_size"));
        String method = config.string("store_method", "in_memory");
        return switch (method) {
          case "in_memory" -> new Adapter(Kind.MEMORY, null, null, null, null);
          case "file_based" -> new Adapter(Kind.FILE, Path.of(config.string("file_path", "./data/stream_store")), null, null, null);
          default ->
              throw new ConfigException(config.path() + ".store_method: must be in_memory or file_based, got '" + method + "'");
        };
      }
      case "redis" -> {
        config.onlyKeys(Set.of("redis_url", "key_prefix"));
        String url = RedisClients.redisUrl(config, "redis://127.0.0.1:6379");
        return new Adapter(Kind.REDIS, null, url, config.string("key_prefix", ""), null);
      }
      case "bridge" -> {
        return new Adapter(Kind.BRIDGE, null, null, null, BridgeUrl.read(config));
      }
      default -> throw new ConfigException(a.path() + ".name: must be kv, redis or bridge, got '" + name + "'");
    }
  }
}
