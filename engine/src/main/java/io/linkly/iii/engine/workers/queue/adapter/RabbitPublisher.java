package io.linkly.iii.engine.workers.queue.adapter;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Publishes over one channel in confirm mode. A publish completes only when the broker has
 * confirmed it (for a durable queue and a persistent message, that is after the broker stored it),
 * so a confirmed enqueue survives a broker or engine crash. At most {@code maxUnconfirmed}
 * publishes are outstanding; beyond that a publish fails at once rather than buffering.
 * {@link #publish} blocks on the socket and is called from virtual threads only.
 */
final class RabbitPublisher implements ConfirmListener {

  private final Channel channel;
  private final ReentrantLock lock = new ReentrantLock();
  private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> outstanding = new ConcurrentSkipListMap<>();
  private final Semaphore permits;
  private final long confirmTimeoutMs;

  RabbitPublisher(Channel channel, int maxUnconfirmed, long confirmTimeoutMs) throws IOException {
    this.channel = channel;
    this.permits = new Semaphore(maxUnconfirmed);
    this.confirmTimeoutMs = confirmTimeoutMs;
    channel.confirmSelect();
    channel.addConfirmListener(this);
    channel.addShutdownListener(cause -> failAll("the connection to RabbitMQ was lost: " + cause.getMessage()));
  }

  CompletableFuture<Void> publish(String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body) {
    CompletableFuture<Void> confirmed = new CompletableFuture<>();
    if (!permits.tryAcquire()) {
      confirmed.completeExceptionally(
          new QueueException("RabbitMQ has not confirmed the last " + outstanding.size() + " messages yet; try again"));
      return confirmed;
    }
    confirmed.whenComplete((ok, failure) -> permits.release());
    long seq;
    lock.lock();
    try {
      seq = channel.getNextPublishSeqNo();
      outstanding.put(seq, confirmed);
      channel.basicPublish(exchange, routingKey, false, properties, body);
    } catch (IOException | RuntimeException e) {
      outstanding.values().remove(confirmed);
      confirmed.completeExceptionally(new QueueException("publishing to RabbitMQ failed: " + e.getMessage(), e));
      return confirmed;
    } finally {
      lock.unlock();
    }
    long tag = seq;
    CompletableFuture<Void> result = new CompletableFuture<>();
    confirmed
        .orTimeout(confirmTimeoutMs, TimeUnit.MILLISECONDS)
        .whenComplete(
            (ok, failure) -> {
              if (failure == null) {
                result.complete(null);
                return;
              }
              outstanding.remove(tag, confirmed);
              Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null ? failure.getCause() : failure;
              result.completeExceptionally(
                  cause instanceof java.util.concurrent.TimeoutException
                      ? new QueueException("RabbitMQ did not confirm the message within " + confirmTimeoutMs + " ms")
                      : cause);
            });
    return result;
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

  private void failAll(String reason) {
    for (Long tag : outstanding.keySet()) {
      CompletableFuture<Void> f = outstanding.remove(tag);
      if (f != null) {
        f.completeExceptionally(new QueueException(reason));
      }
    }
  }
}
