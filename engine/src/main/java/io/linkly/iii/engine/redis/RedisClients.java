package io.linkly.iii.engine.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every Redis-backed adapter needs around Lettuce: one connection policy (timeouts,
 * reconnect backoff, bounded request queues), safe URLs, clear errors, clean shutdown.
 */
public final class RedisClients {

  private static final Logger log = LoggerFactory.getLogger(RedisClients.class);

  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
  private static final int REQUEST_QUEUE = 10_000;

  /** The URL with the command timeout applied. */
  public static RedisURI uri(String url) {
    RedisURI uri = RedisURI.create(url);
    uri.setTimeout(COMMAND_TIMEOUT);
    return uri;
  }

  /** Small thread pools and a capped exponential reconnect delay, shared by an adapter's clients. */
  public static ClientResources resources() {
    return DefaultClientResources.builder()
        .ioThreadPoolSize(DefaultClientResources.MIN_IO_THREADS)
        .computationThreadPoolSize(DefaultClientResources.MIN_COMPUTATION_THREADS)
        .reconnectDelay(Delay.exponential(Duration.ofMillis(50), MAX_BACKOFF, 2, TimeUnit.MILLISECONDS))
        .build();
  }

  /** A client for plain commands: they fail fast while disconnected and time out. */
  public static RedisClient commandClient(ClientResources resources, RedisURI uri) {
    RedisClient client = RedisClient.create(resources, uri);
    client.setOptions(
        ClientOptions.builder()
            .socketOptions(socket())
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.builder().fixedTimeout(COMMAND_TIMEOUT).build())
            .requestQueueSize(REQUEST_QUEUE)
            .build());
    return client;
  }

  /**
   * Options for a subscription client: its commands queue while disconnected and it re-subscribes
   * on reconnect, so they never time out.
   */
  public static ClientOptions.Builder subscriptionOptions() {
    return ClientOptions.builder()
        .socketOptions(socket())
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
        .timeoutOptions(TimeoutOptions.builder().timeoutCommands(false).build())
        .requestQueueSize(REQUEST_QUEUE);
  }

  private static SocketOptions socket() {
    return SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).tcpNoDelay(true).build();
  }

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

  /**
   * An adapter block's {@code redis_url} ({@code defaultUrl} when absent), checked: a config error
   * naming the key when it is not a Redis URL. Lettuce's reason may quote the URL, so the password
   * in it is masked.
   */
  public static String redisUrl(ConfigBlock config, String defaultUrl) throws ConfigException {
    String url = config.string("redis_url", defaultUrl);
    try {
      RedisURI.create(url);
      return url;
    } catch (RuntimeException e) {
      throw new ConfigException(config.path() + ".redis_url: not a Redis URL (" + String.valueOf(e.getMessage()).replace(url, redact(url)) + ")");
    }
  }

  /** Upstream's wording for a failed connection at start (BUILTINS.md §2.3). */
  public static String connectFailure(String safeUrl, Throwable e) {
    return timedOut(e)
        ? "Redis connection timed out after " + CONNECT_TIMEOUT.toSeconds() + "s. Please ensure Redis is running at: " + safeUrl
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
