package io.linkly.iii.engine.testing;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.linkly.iii.engine.redis.RedisKeys;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.linkly.testing.LocalService;
import java.time.Duration;

/**
 * The machine's Redis (127.0.0.1:6379) for adapter tests: required when {@code CI=true},
 * otherwise a missing server skips the test class with the reason printed.
 */
public final class LocalRedis implements AutoCloseable {

  public static final String URL = "redis://127.0.0.1:6379";

  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;

  private LocalRedis(RedisClient client, StatefulRedisConnection<String, String> connection) {
    this.client = client;
    this.connection = connection;
  }

  /** Connects, or fails (CI) / aborts (elsewhere) the calling test class. */
  public static LocalRedis require(String testClass) {
    RedisClient client = RedisClient.create(URL);
    try {
      StatefulRedisConnection<String, String> connection = client.connect();
      connection.sync().ping();
      return new LocalRedis(client, connection);
    } catch (RuntimeException e) {
      client.shutdown();
      LocalService.unavailable(testClass, "Redis at 127.0.0.1:6379 is not reachable: " + e.getMessage());
      throw new AssertionError("unreachable");
    }
  }

  /** A fresh pub/sub connection, for listening to channels; the caller closes it. */
  public StatefulRedisPubSubConnection<String, String> connectPubSub() {
    return client.connectPubSub();
  }

  public RedisCommands<String, String> commands() {
    return connection.sync();
  }

  /** Deletes every key that starts with {@code prefix} (a test's own), by SCAN, never KEYS. */
  public void deleteKeysStartingWith(String prefix) {
    RedisCommands<String, String> redis = commands();
    ScanCursor cursor = ScanCursor.INITIAL;
    KeyScanCursor<String> page;
    do {
      page = redis.scan(cursor, ScanArgs.Builder.matches(RedisKeys.globEscape(prefix) + "*").limit(1000));
      if (!page.getKeys().isEmpty()) {
        redis.del(page.getKeys().toArray(String[]::new));
      }
      cursor = page;
    } while (!page.isFinished());
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
