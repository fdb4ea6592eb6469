package io.linkly.iii.engine.workers.queue.adapter;

import io.linkly.iii.engine.core.Health;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The one interface {@code iii-queue} needs from a transport. Both adapters give the same
 * guarantees: a message is stored durably before {@link #enqueue} completes; it is delivered at
 * least once; a failed attempt is retried after the queue's exponential backoff and, once its
 * retries are spent, kept in a dead-letter queue until redriven or discarded (see
 * {@link io.linkly.iii.engine.workers.queue.Retry} for how attempts are counted).
 *
 * <p>{@link #enqueue} and {@link #publish} never block the calling thread (it may be an event
 * loop); the other operations may block and are called from virtual threads.
 */
public interface QueueBackend extends AutoCloseable {

  /** {@code builtin} or {@code rabbitmq}: the {@code broker_type} shown by the console functions. */
  String type();

  /**
   * Declares the queue if needed and starts delivering its messages to {@code handler}, with at
   * most {@code spec.concurrency()} in flight. Replaces a previous consumer of the same queue.
   */
  void consume(QueueSpec spec, MessageHandler handler) throws QueueException;

  /** Stops delivering; messages being handled are released for redelivery. Idempotent. */
  void stopConsuming(String queue);

  /** Stores one message in {@code spec}'s queue; completes once it is durable. */
  CompletableFuture<Void> enqueue(QueueSpec spec, QueueMessage message);

  /**
   * Stores one copy of {@code message} for every subscriber queue of {@code topic}; completes once
   * all copies are durable. {@code subscribers} are the subscriber queues this engine knows of; a
   * broker that routes by topic itself may reach more.
   */
  CompletableFuture<Void> publish(String topic, List<QueueSpec> subscribers, QueueMessage message);

  /** True while a consumer delivers {@code queue}'s messages. */
  boolean consuming(String queue);

  /** Subscriber queues of {@code topic} that hold messages or were declared by this engine. */
  Collection<String> topicQueues(String topic);

  QueueStats stats(String queue) throws QueueException;

  /** Dead letters, oldest failure first. */
  List<DeadLetter> deadLetters(String queue, int offset, int limit) throws QueueException;

  /** Moves every dead letter back to the end of its queue with a fresh attempt count. */
  long redrive(String queue) throws QueueException;

  /** Redrives one dead letter by message id; false when there is none with that id. */
  boolean redrive(String queue, String messageId) throws QueueException;

  /** Deletes one dead letter by message id; false when there is none with that id. */
  boolean discard(String queue, String messageId) throws QueueException;

  /** The backend's health for {@code engine::health::check}. */
  default Health health() {
    return Health.ok();
  }

  @Override
  void close();
}
