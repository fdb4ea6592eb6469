package io.linkly.iii.engine.workers.queue.adapter;

/**
 * Counts for one queue: {@code depth} is messages waiting for delivery (ready or waiting for a
 * retry), {@code inFlight} those being handled now (-1 when the backend cannot tell), {@code dlqDepth}
 * the dead letters.
 */
public record QueueStats(long depth, long inFlight, long dlqDepth) {

  public QueueStats plus(QueueStats other) {
    long flight = inFlight < 0 || other.inFlight < 0 ? -1 : inFlight + other.inFlight;
    return new QueueStats(depth + other.depth, flight, dlqDepth + other.dlqDepth);
  }
}
