package io.linkly.iii.engine.workers.queue.adapter;

import io.linkly.iii.engine.workers.queue.Retry;

/**
 * One queue as a backend sees it. {@code name} is the internal key: {@code __fn_queue::<name>}
 * for a named queue, {@code <topic>::<function_id>} for a topic subscriber's queue (then
 * {@code topic} is set). In a {@code fifo} queue, messages of one group are delivered one at a
 * time and in order, retries included; different groups proceed in parallel up to
 * {@code concurrency}.
 */
public record QueueSpec(String name, String topic, boolean fifo, int concurrency, Retry retry, Integer maxPriority) {

  public static final String NAMED_PREFIX = "__fn_queue::";

  public QueueSpec {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1");
    }
  }

  public static String namedKey(String queue) {
    return NAMED_PREFIX + queue;
  }

  public static String topicKey(String topic, String functionId) {
    return topic + "::" + functionId;
  }

  /** The name shown to people: the named queue without its prefix, or the internal key. */
  public String displayName() {
    return name.startsWith(NAMED_PREFIX) ? name.substring(NAMED_PREFIX.length()) : name;
  }
}
