package io.linkly.iii.engine.workers.queue.adapter;

import java.util.concurrent.CompletableFuture;

/**
 * Delivers one message to its function. Success acknowledges the message; a failed future is a
 * failed attempt (retry or dead letter). Must not block the calling thread.
 */
@FunctionalInterface
public interface MessageHandler {

  CompletableFuture<Void> handle(QueueMessage message);
}
