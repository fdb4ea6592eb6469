package io.linkly.iii.engine.workers.queue.adapter;

import io.linkly.iii.engine.workers.queue.Retry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * RabbitMQ object names for one namespace. For an internal queue {@code q} (see {@link QueueSpec}):
 *
 * <ul>
 *   <li>{@code <ns>.queue.<q>} — the durable queue its consumer reads;
 *   <li>{@code <ns>.queue.<q>.retry.<ms>} — one durable delay queue per distinct backoff delay, with
 *       {@code x-message-ttl = ms}, dead-lettering back to the main queue; every message in it waits
 *       the same time, so expiry order is arrival order;
 *   <li>{@code <ns>.queue.<q>.dlq} — its dead letters;
 *   <li>{@code <ns>.topic.<topic>} — a durable fanout exchange per durable topic, bound to every
 *       subscriber queue of the topic.
 * </ul>
 */
public final class RabbitTopology {

  private static final int MAX_NAME_BYTES = 255;

  private final String namespace;

  public RabbitTopology(String namespace) {
    this.namespace = namespace;
  }

  public String queue(String internal) {
    return namespace + ".queue." + internal;
  }

  public String dlq(String internal) {
    return queue(internal) + ".dlq";
  }

  public String retry(String internal, long delayMs) {
    return queue(internal) + ".retry." + delayMs;
  }

  public String topicExchange(String topic) {
    return namespace + ".topic." + topic;
  }

  /** The distinct delays a message of this policy can wait, in order of first use. */
  public static List<Long> retryDelays(Retry retry) {
    Set<Long> delays = new LinkedHashSet<>();
    for (int failed = 1; failed <= retry.maxRetries(); failed++) {
      long delay = retry.delayAfter(failed);
      delays.add(delay);
      if (delay >= retry.maxBackoffMs()) { // every later delay is the cap again
        break;
      }
    }
    return new ArrayList<>(delays);
  }

  /** Every queue name a queue with this policy uses: main, retry queues, dead letters. */
  public List<String> queueNames(String internal, Retry retry) {
    List<String> names = new ArrayList<>();
    names.add(queue(internal));
    for (long delay : retryDelays(retry)) {
      names.add(retry(internal, delay));
    }
    names.add(dlq(internal));
    return names;
  }

  /** Fails when a name would exceed RabbitMQ's 255-byte limit. */
  void check(String name) throws QueueException {
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      throw new QueueException("RabbitMQ name too long (over 255 bytes): " + name);
    }
  }
}
