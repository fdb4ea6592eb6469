package io.linkly.iii.engine.workers.stream;

import io.lettuce.core.RedisURI;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import java.nio.file.Path;
import java.util.HashMap;
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
 * {@code error} event) and {@code retention} (stream name → {@code max_items}: each group of that
 * stream keeps its newest items only; default none, upstream keeps everything).
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
    Map<String, Integer> maxItems) {

  static final int DEFAULT_PORT = 3112;

  enum Kind {
    MEMORY,
    FILE,
    REDIS
  }

  record Adapter(Kind kind, Path filePath, String redisUrl, String keyPrefix) {}

  static StreamConfig fromConfig(WorkerEntry entry) throws ConfigException {
    ConfigBlock c =
        ConfigBlock.of(entry)
            .onlyKeys(Set.of("port", "host", "auth_function", "adapter", "history_size", "max_buffered_bytes", "slow_subscriber_grace_ms",
                "max_subscriptions_per_connection", "retention"));
    Adapter adapter = adapter(c.child("adapter"));
    Map<String, Integer> maxItems = retention(c.child("retention"));
    if (!maxItems.isEmpty() && adapter.kind() == Kind.REDIS) {
      throw new ConfigException(c.path() + ".retention: needs a kv store (in_memory or file_based); redis keeps no item order");
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
        maxItems);
  }

  /** The items a group of {@code stream} keeps, or 0 for no bound. */
  int maxItems(String stream) {
    return maxItems.getOrDefault(stream, 0);
  }

  private static Map<String, Integer> retention(ConfigBlock block) throws ConfigException {
    Map<String, Integer> out = new HashMap<>();
    for (Iterator<String> names = block.node().fieldNames(); names.hasNext(); ) {
      String stream = names.next();
      ConfigBlock one = block.child(stream).onlyKeys(Set.of("max_items"));
      out.put(stream, (int) Math.min(10_000_000, one.positive("max_items", Integer.MAX_VALUE)));
    }
    return Map.copyOf(out);
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
          case "in_memory" -> new Adapter(Kind.MEMORY, null, null, null);
          case "file_based" -> new Adapter(Kind.FILE, Path.of(config.string("file_path", "./data/stream_store")), null, null);
          default ->
              throw new ConfigException(config.path() + ".store_method: must be in_memory or file_based, got '" + method + "'");
        };
      }
      case "redis" -> {
        config.onlyKeys(Set.of("redis_url", "key_prefix"));
        String url = config.string("redis_url", "redis://127.0.0.1:6379");
        try {
          RedisURI.create(url);
        } catch (RuntimeException e) {
          throw new ConfigException(config.path() + ".redis_url: not a Redis URL (" + e.getMessage() + ")");
        }
        return new Adapter(Kind.REDIS, null, url, config.string("key_prefix", ""));
      }
      default -> throw new ConfigException(a.path() + ".name: must be kv or redis, got '" + name + "'");
    }
  }
}
