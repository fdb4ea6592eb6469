package io.linkly.iii.engine.workers.queue.adapter;

/**
 * One queued message. {@code payload} is the handler's data, encoded as JSON once at enqueue and
 * kept as bytes until delivery. {@code attempts} is the number of attempts already made and
 * failed; a delivery is attempt {@code attempts + 1}. {@code group} is the fifo message group (null
 * in standard queues); {@code priority} is honoured by RabbitMQ priority queues only.
 */
public record QueueMessage(
    String id,
    String functionId,
    byte[] payload,
    String group,
    Integer priority,
    String traceparent,
    String baggage,
    long createdAtMs,
    int attempts) {

  public QueueMessage withAttempts(int attempts) {
    return attempts == this.attempts
        ? this
        : new QueueMessage(id, functionId, payload, group, priority, traceparent, baggage, createdAtMs, attempts);
  }

  public QueueMessage withFunction(String functionId) {
    return new QueueMessage(id, functionId, payload, group, priority, traceparent, baggage, createdAtMs, attempts);
  }
}
