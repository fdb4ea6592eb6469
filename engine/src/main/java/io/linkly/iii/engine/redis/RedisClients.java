package io.linkly.iii.engine.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every Redis-backed adapter needs around Lettuce: safe URLs, clear errors, clean shutdown. */
public final class RedisClients {

  private static final Logger log = LoggerFactory.getLogger(RedisClients.class);

  private RedisClients() {}

  /** The URL without its password, for logs and messages. */
  public static String redact(String url) {
    int scheme = url.indexOf("://");
    int at = url.lastIndexOf('@');
    if (scheme < 0 || at < scheme) {
      return url;
    }
    return url.substring(0, scheme + 3) + "***@" + url.substring(at + 1);
  }

  /** Upstream's wording for a failed connection at start (BUILTINS.md §2.3). */
  public static String connectFailure(String safeUrl, Duration timeout, Throwable e) {
    return timedOut(e)
        ? "Redis connection timed out after " + timeout.toSeconds() + "s. Please ensure Redis is running at: " + safeUrl
        : "Failed to connect to Redis at " + safeUrl + ": " + rootMessage(e);
  }

  public static boolean timedOut(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.util.concurrent.TimeoutException
          || t instanceof io.netty.channel.ConnectTimeoutException
          || t instanceof io.lettuce.core.RedisCommandTimeoutException) {
        return true;
      }
    }
    return false;
  }

  public static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** Stops clients and their shared resources without throwing; bounded to a few seconds. */
  public static void shutdown(ClientResources resources, RedisClient... clients) {
    for (RedisClient client : clients) {
      try {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      } catch (RuntimeException e) {
        log.debug("stopping a Redis client: {}", e.getMessage());
      }
    }
    try {
      resources.shutdown(0, 2, TimeUnit.SECONDS).get(3, TimeUnit.SECONDS);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.debug("stopping Redis client resources: {}", e.getMessage());
    }
  }
}
