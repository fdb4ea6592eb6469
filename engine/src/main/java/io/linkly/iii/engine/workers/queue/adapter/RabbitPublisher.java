package io.linkly.iii.engine.workers.queue.adapter;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes over one channel in confirm mode. A publish completes only when the broker has
 * confirmed it (for a durable queue and a persistent message, that is after the broker stored it),
 * so a confirmed enqueue survives a broker or engine crash.
 *
 * <p>{@link #publish} never blocks: it hands the message to one sender loop, which writes messages
 * to the socket in the order they were handed over — so enqueues keep their order, which fifo
 * queues rely on. At most {@code maxUnconfirmed} messages are waiting or unconfirmed; beyond that a
 * publish fails at once rather than buffering.
 */
final class RabbitPublisher implements ConfirmListener, AutoCloseable {

  /** Work the sender does before writing a message (such as declaring its exchange); may fail it. */
  @FunctionalInterface
  interface Preparation {
    void run() throws QueueException;
  }

  private record Request(
      String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body, Preparation prepare, CompletableFuture<Void> confirmed) {}

  private final Channel channel;
  private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> outstanding = new ConcurrentSkipListMap<>();
  private final ArrayBlockingQueue<Request> sending;
  private final Semaphore permits;
  private final long confirmTimeoutMs;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean closed;

  RabbitPublisher(Channel channel, int maxUnconfirmed, long confirmTimeoutMs, Executor executor) throws IOException {
    this.channel = channel;
    this.sending = new ArrayBlockingQueue<>(maxUnconfirmed);
    this.permits = new Semaphore(maxUnconfirmed);
    this.confirmTimeoutMs = confirmTimeoutMs;
    channel.confirmSelect();
    channel.addConfirmListener(this);
    channel.addShutdownListener(cause -> failOutstanding("the connection to RabbitMQ was lost: " + cause.getMessage()));
    executor.execute(this::sender);
  }

  CompletableFuture<Void> publish(String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body) {
    return publish(exchange, routingKey, properties, body, null);
  }

  CompletableFuture<Void> publish(
      String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body, Preparation prepare) {
    CompletableFuture<Void> confirmed = new CompletableFuture<>();
    if (closed) {
      confirmed.completeExceptionally(new QueueException("the queue adapter is closed"));
      return confirmed;
    }
    if (!permits.tryAcquire()) {
      confirmed.completeExceptionally(
          new QueueException("RabbitMQ has not confirmed the last " + (sending.size() + outstanding.size()) + " messages yet; try again"));
      return confirmed;
    }
    confirmed.whenComplete((ok, failure) -> permits.release());
    sending.add(new Request(exchange, routingKey, properties, body, prepare, confirmed)); // a permit guarantees room
    CompletableFuture<Void> result = new CompletableFuture<>();
    confirmed
        .orTimeout(confirmTimeoutMs, TimeUnit.MILLISECONDS)
        .whenComplete(
            (ok, failure) -> {
              if (failure == null) {
                result.complete(null);
                return;
              }
              outstanding.values().remove(confirmed);
              Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
              result.completeExceptionally(
                  cause instanceof TimeoutException
                      ? new QueueException("RabbitMQ did not confirm the message within " + confirmTimeoutMs + " ms")
                      : cause);
            });
    return result;
  }

  /** The only thread that publishes on the channel; never interrupted (see {@link RabbitQueue}). */
  private void sender() {
    try {
      while (!closed) {
        Request r;
        try {
          r = sending.poll(100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          return;
        }
        if (r == null || r.confirmed().isDone()) {
          continue;
        }
        try {
          if (r.prepare() != null) {
            r.prepare().run();
          }
          long seq = channel.getNextPublishSeqNo();
          outstanding.put(seq, r.confirmed());
          channel.basicPublish(r.exchange(), r.routingKey(), false, r.properties(), r.body());
        } catch (QueueException e) {
          r.confirmed().completeExceptionally(e);
        } catch (IOException | RuntimeException e) {
          outstanding.values().remove(r.confirmed());
          r.confirmed().completeExceptionally(new QueueException("publishing to RabbitMQ failed: " + e.getMessage(), e));
        }
      }
    } finally {
      Request r;
      while ((r = sending.poll()) != null) {
        r.confirmed().completeExceptionally(new QueueException("the queue adapter is closed"));
      }
      stopped.countDown();
    }
  }

  @Override
  public void handleAck(long deliveryTag, boolean multiple) {
    settle(deliveryTag, multiple, null);
  }

  @Override
  public void handleNack(long deliveryTag, boolean multiple) {
    settle(deliveryTag, multiple, "RabbitMQ refused to store the message (nack)");
  }

  private void settle(long tag, boolean multiple, String failure) {
    Map<Long, CompletableFuture<Void>> settled;
    if (multiple) {
      ConcurrentNavigableMap<Long, CompletableFuture<Void>> head = outstanding.headMap(tag, true);
      settled = new java.util.HashMap<>(head);
      head.clear();
    } else {
      CompletableFuture<Void> one = outstanding.remove(tag);
      settled = one == null ? Map.of() : Map.of(tag, one);
    }
    for (CompletableFuture<Void> f : settled.values()) {
      if (failure == null) {
        f.complete(null);
      } else {
        f.completeExceptionally(new QueueException(failure));
      }
    }
  }

  private void failOutstanding(String reason) {
    for (Long tag : outstanding.keySet()) {
      CompletableFuture<Void> f = outstanding.remove(tag);
      if (f != null) {
        f.completeExceptionally(new QueueException(reason));
      }
    }
  }

  /** Stops the sender; messages not yet written fail. Call before closing the connection. */
  @Override
  public void close() {
    closed = true;
    try {
      stopped.await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
