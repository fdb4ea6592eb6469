package io.linkly.iii.engine.workers.queue.adapter;

/**
 * A message that exhausted its retries: the message as it was enqueued, how many attempts it got,
 * the last attempt's error and when it failed (epoch milliseconds).
 */
public record DeadLetter(QueueMessage message, int attempts, String error, long failedAtMs) {}
