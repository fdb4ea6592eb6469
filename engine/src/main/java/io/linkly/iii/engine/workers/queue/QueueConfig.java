package io.linkly.iii.engine.workers.queue;

import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code iii-queue} config block (BUILTINS.md §7.2), strict:
 *
 * <pre>
 * adapter:
 *   name: builtin                 # or rabbitmq
 *   config:                       # builtin:
 *     store_method: file_based    #   file_based (default here) | in_memory
 *     file_path: ./data/queue     #   a directory; holds queue.journal
 *     save_interval_ms: 1000      #   how long acks/retries may wait to reach the disk
 *     max_messages: 100000        #   live messages held (ready, delayed, in flight)
 *     max_bytes: 67108864         #   their payload bytes
 *     max_dead_letters: 10000     #   dead letters kept, apart: past it the oldest is dropped
 *   # rabbitmq: {amqp_url: amqp://guest:guest@127.0.0.1:5672/%2f, namespace: iii,
 *   #            confirm_timeout_ms: 30000, max_unconfirmed: 10000}
 * queue_configs:
 *   clicks: {type: standard, max_retries: 5, concurrency: 5, backoff_ms: 1000}
 *   payment: {type: fifo, message_group_field: transaction_id, max_retries: 10, concurrency: 2}
 * </pre>
 *
 * A {@code default} standard queue always exists. Beyond upstream: {@code attempt_timeout_ms} per
 * queue (an attempt that has not answered by then counts as failed), the builtin adapter is
 * durable by default, and the builtin's memory bounds. Upstream's RabbitMQ keys
 * {@code max_attempts}, {@code prefetch_count}, {@code queue_mode} and {@code priority_field} are
 * accepted; the first three are superseded by the per-queue settings.
 */
public record QueueConfig(Adapter adapter, Map<String, NamedQueue> queues) {

  /** The JSON Schema the configuration worker checks this block against. */
  public static final String SCHEMA =
      """
      {"type": "object", "additionalProperties": false, "properties": {
        "adapter": {"type": "object", "additionalProperties": false, "properties": {
          "name": {"enum": ["builtin", "rabbitmq"]},
          "config": {"type": ["object", "null"], "additionalProperties": false, "properties": {
            "store_method": {"enum": ["file_based", "in_memory"]},
            "file_path": {"type": "string", "minLength": 1},
            "save_interval_ms": {"type": "integer", "minimum": 10, "maximum": 3600000},
            "max_messages": {"type": "integer", "minimum": 1},
            "max_bytes": {"type": "integer", "minimum": 1},
            "max_dead_letters": {"type": "integer", "minimum": 1},
            "amqp_url": {"type": "string"},
            "namespace": {"type": "string", "minLength": 1},
            "confirm_timeout_ms": {"type": "integer", "minimum": 1},
            "max_unconfirmed": {"type": "integer", "minimum": 1},
            "max_attempts": {"type": "integer", "minimum": 1},
            "prefetch_count": {"type": "integer", "minimum": 1},
            "queue_mode": {"type": "string"},
            "priority_field": {"type": "string"}}}}},
        "queue_configs": {"type": ["object", "null"], "additionalProperties": {
          "type": "object", "additionalProperties": false, "properties": {
            "max_retries": {"type": "integer", "minimum": 0, "maximum": 1000000},
            "concurrency": {"type": "integer", "minimum": 1, "maximum": 1000},
            "type": {"enum": ["standard", "fifo"]},
            "message_group_field": {"type": "string"},
            "max_priority": {"type": "integer", "minimum": 1, "maximum": 255},
            "priority_field": {"type": "string"},
            "backoff_ms": {"type": "integer", "minimum": 0},
            "max_backoff_ms": {"type": "integer", "minimum": 1, "maximum": 86400000},
            "poll_interval_ms": {"type": "integer", "minimum": 1},
            "attempt_timeout_ms": {"type": "integer", "minimum": 1}}}}}}
      """;
  public static final String DEFAULT_QUEUE = "default";
  public static final long DEFAULT_ATTEMPT_TIMEOUT_MS = 300_000;

  public QueueConfig {
    queues = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(queues));
  }

  /** Where the messages live. */
  public sealed interface Adapter permits Builtin, RabbitMq {}

  /** The embedded store; {@code dir} is null when {@code store_method: in_memory}. */
  public record Builtin(Path dir, long saveIntervalMs, long maxMessages, long maxBytes, long maxDeadLetters) implements Adapter {
    public boolean durable() {
      return dir != null;
    }
  }

  public record RabbitMq(String amqpUrl, String namespace, long confirmTimeoutMs, int maxUnconfirmed, String priorityField)
      implements Adapter {
    /** The URL without its password, for logs. */
    public String safeUrl() {
      return amqpUrl.replaceAll("//([^:/@]+):[^@/]*@", "//$1:***@");
    }
  }

  /** One entry of {@code queue_configs}. */
  public record NamedQueue(
      String name,
      boolean fifo,
      String messageGroupField,
      Retry retry,
      int concurrency,
      Integer maxPriority,
      String priorityField,
      long pollIntervalMs,
      long attemptTimeoutMs) {

    static NamedQueue defaults(String name) {
      return new NamedQueue(name, false, null, Retry.DEFAULTS, 10, null, null, 100, DEFAULT_ATTEMPT_TIMEOUT_MS);
    }
  }

  public static QueueConfig from(ConfigBlock block) throws ConfigException {
    block.onlyKeys(Set.of("adapter", "queue_configs"));
    Adapter adapter = adapter(block.child("adapter"));
    ConfigBlock configs = block.child("queue_configs");
    Map<String, NamedQueue> queues = new LinkedHashMap<>();
    for (Iterator<String> names = configs.node().fieldNames(); names.hasNext(); ) {
      String name = names.next();
      queues.put(name, queue(name, configs.child(name)));
    }
    queues.putIfAbsent(DEFAULT_QUEUE, NamedQueue.defaults(DEFAULT_QUEUE));
    return new QueueConfig(adapter, queues);
  }

  private static Adapter adapter(ConfigBlock block) throws ConfigException {
    block.onlyKeys(Set.of("name", "config"));
    String name = block.string("name", "builtin");
    ConfigBlock config = block.child("config");
    return switch (name) {
      case "builtin" -> builtin(config);
      case "rabbitmq" -> rabbit(config);
      case "redis", "bridge" ->
          throw new ConfigException(block.path() + ".name: the '" + name + "' queue adapter is not supported by this engine (use builtin or rabbitmq)");
      default -> throw new ConfigException(block.path() + ".name: unknown queue adapter '" + name + "' (expected builtin or rabbitmq)");
    };
  }

  private static Builtin builtin(ConfigBlock c) throws ConfigException {
    c.onlyKeys(Set.of("store_method", "file_path", "save_interval_ms", "max_messages", "max_bytes", "max_dead_letters"));
    String method = c.string("store_method", "file_based");
    boolean durable =
        switch (method) {
          case "file_based" -> true;
          case "in_memory" -> false;
          default -> throw new ConfigException(c.path() + ".store_method: must be file_based or in_memory, got " + method);
        };
    String path = c.string("file_path", "./data/queue");
    if (path.isBlank()) {
      throw new ConfigException(c.path() + ".file_path: must name a directory");
    }
    long saveInterval = c.positive("save_interval_ms", 1000);
    if (saveInterval < 10 || saveInterval > 3_600_000) {
      throw new ConfigException(c.path() + ".save_interval_ms: must be between 10 and 3600000, got " + saveInterval);
    }
    return new Builtin(
        durable ? Path.of(path) : null,
        saveInterval,
        c.positive("max_messages", 100_000),
        c.positive("max_bytes", 64L << 20),
        c.positive("max_dead_letters", 10_000));
  }

  private static RabbitMq rabbit(ConfigBlock c) throws ConfigException {
    c.onlyKeys(
        Set.of(
            "amqp_url", "namespace", "confirm_timeout_ms", "max_unconfirmed", "max_attempts", "prefetch_count",
            "queue_mode", "priority_field"));
    String url = c.string("amqp_url", "amqp://guest:guest@127.0.0.1:5672/%2f");
    try {
      URI uri = new URI(url);
      if (!"amqp".equals(uri.getScheme()) && !"amqps".equals(uri.getScheme())) {
        throw new ConfigException(c.path() + ".amqp_url: must start with amqp:// or amqps://");
      }
    } catch (URISyntaxException e) {
      throw new ConfigException(c.path() + ".amqp_url: not a URL: " + e.getMessage());
    }
    String namespace = c.string("namespace", "iii");
    if (namespace.isBlank() || namespace.startsWith("amq.")) {
      throw new ConfigException(c.path() + ".namespace: must be non-empty and must not start with 'amq.'");
    }
    c.positive("max_attempts", 3);
    c.positive("prefetch_count", 10);
    c.string("queue_mode", "standard");
    long unconfirmed = c.positive("max_unconfirmed", 10_000);
    return new RabbitMq(
        url, namespace, c.positive("confirm_timeout_ms", 30_000), (int) Math.min(1_000_000, unconfirmed),
        c.string("priority_field", null));
  }

  private static NamedQueue queue(String name, ConfigBlock c) throws ConfigException {
    if (name.isEmpty()) {
      throw new ConfigException(c.path() + ": a queue name must not be empty");
    }
    c.onlyKeys(
        Set.of(
            "max_retries", "concurrency", "type", "message_group_field", "max_priority", "priority_field",
            "backoff_ms", "max_backoff_ms", "poll_interval_ms", "attempt_timeout_ms"));
    String type = c.string("type", "standard").toLowerCase(Locale.ROOT);
    if (!type.equals("standard") && !type.equals("fifo")) {
      throw new ConfigException(
          c.path() + ".type: Queue '" + name + "' has invalid type '" + type + "'. Must be 'standard' or 'fifo'");
    }
    boolean fifo = type.equals("fifo");
    String groupField = c.string("message_group_field", null);
    if (fifo && (groupField == null || groupField.isEmpty())) {
      throw new ConfigException(
          c.path() + ": Queue '" + name + "' is of type 'fifo' but 'message_group_field' is not set");
    }
    long maxRetries = c.integer("max_retries", Retry.DEFAULTS.maxRetries());
    if (maxRetries < 0 || maxRetries > 1_000_000) {
      throw new ConfigException(c.path() + ".max_retries: must be between 0 and 1000000, got " + maxRetries);
    }
    long concurrency = c.integer("concurrency", 10);
    if (concurrency < 1) {
      throw new ConfigException(
          c.path() + ".concurrency: Queue '" + name + "' has 'concurrency' " + concurrency + "; it must be at least 1");
    }
    if (concurrency > 1000) {
      throw new ConfigException(c.path() + ".concurrency: must be at most 1000, got " + concurrency);
    }
    long backoff = c.integer("backoff_ms", Retry.DEFAULTS.backoffMs());
    if (backoff < 0) {
      throw new ConfigException(c.path() + ".backoff_ms: must not be negative, got " + backoff);
    }
    long maxBackoff = c.integer("max_backoff_ms", Retry.MAX_DELAY_MS);
    if (maxBackoff < 1 || maxBackoff > Retry.MAX_DELAY_MS) {
      throw new ConfigException(c.path() + ".max_backoff_ms: must be between 1 and " + Retry.MAX_DELAY_MS + ", got " + maxBackoff);
    }
    Integer maxPriority = null;
    if (c.has("max_priority")) {
      long p = c.integer("max_priority", 0);
      if (p < 1 || p > 255) {
        throw new ConfigException(
            c.path() + ".max_priority: Queue '" + name + "' has 'max_priority' " + p + "; it must be between 1 and 255");
      }
      maxPriority = (int) p;
    }
    return new NamedQueue(
        name,
        fifo,
        groupField,
        new Retry((int) maxRetries, backoff, maxBackoff),
        (int) concurrency,
        maxPriority,
        c.string("priority_field", null),
        c.positive("poll_interval_ms", 100),
        c.positive("attempt_timeout_ms", DEFAULT_ATTEMPT_TIMEOUT_MS));
  }
}
