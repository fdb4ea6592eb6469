package io.linkly.iii.engine.workers.queue;

/**
 * The retry policy of one queue, with one meaning in every adapter (builtin and RabbitMQ) and for
 * both kinds of queue (named {@code queue_configs} and {@code durable:subscriber} topics):
 *
 * <ul>
 *   <li>{@code max_retries} (topics: {@code queue_config.maxRetries}) is the number of times a
 *       failed message is tried <em>again</em> after its first attempt. A message is therefore
 *       handed to its function at most {@code max_retries + 1} times; {@code max_retries: 0} means
 *       one call, then the dead-letter queue.
 *   <li>After the n-th failed attempt (n = 1, 2, …) the message waits
 *       {@code backoff_ms × 2^(n−1)} before attempt n+1, capped at {@code max_backoff_ms} (named
 *       queues, beyond upstream; default and upper bound {@link #MAX_DELAY_MS}). A cap with a large
 *       {@code max_retries} keeps a queue trying through a long outage, every {@code max_backoff_ms},
 *       instead of dead-lettering what a restored dependency could still handle.
 *   <li>The attempt counter a dead letter reports ({@code retries} in
 *       {@code engine::queue::dlq_messages}, as upstream names it) is the number of attempts made:
 *       {@code max_retries + 1} for a message that exhausted its retries.
 * </ul>
 *
 * Upstream v0.22.1 is inconsistent here (BUILTINS.md §19 item 6): its builtin named queues treat
 * {@code max_retries} as the total number of attempts, while its RabbitMQ adapter and every topic
 * subscription treat it as retries after the first attempt. This engine uses the latter
 * everywhere, so {@code max_retries: 3} means 4 calls with either adapter.
 *
 * <p>A delivery interrupted by an engine crash or a consumer stop is not a failed attempt: the
 * message is delivered again with the attempt count it had.
 */
public record Retry(int maxRetries, long backoffMs, long maxBackoffMs) {

  /** No retry waits longer than a day, however large the exponent grows. */
  public static final long MAX_DELAY_MS = 24L * 60 * 60 * 1000;

  public static final Retry DEFAULTS = new Retry(3, 1000);

  public Retry {
    if (maxRetries < 0) {
      throw new IllegalArgumentException("max_retries must not be negative");
    }
    if (backoffMs < 0) {
      throw new IllegalArgumentException("backoff_ms must not be negative");
    }
    if (maxBackoffMs < 1 || maxBackoffMs > MAX_DELAY_MS) {
      throw new IllegalArgumentException("max_backoff_ms must be between 1 and " + MAX_DELAY_MS);
    }
  }

  /** Delays capped at {@link #MAX_DELAY_MS} only. */
  public Retry(int maxRetries, long backoffMs) {
    this(maxRetries, backoffMs, MAX_DELAY_MS);
  }

  /** The most calls a message can get. */
  public int maxAttempts() {
    return maxRetries + 1;
  }

  /** True when a message that has failed {@code failedAttempts} times goes to the dead-letter queue. */
  public boolean exhausted(int failedAttempts) {
    return failedAttempts > maxRetries;
  }

  /** How long a message waits after its {@code failedAttempts}-th failure (1-based). */
  public long delayAfter(int failedAttempts) {
    int exponent = Math.max(0, failedAttempts - 1);
    if (backoffMs == 0) {
      return 0;
    }
    if (exponent >= 62 || backoffMs > (maxBackoffMs >> Math.min(exponent, 62))) {
      return maxBackoffMs;
    }
    return Math.min(maxBackoffMs, backoffMs << exponent);
  }
}
