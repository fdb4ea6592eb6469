package io.linkly.iii.bench;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.ConnectionFuture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The anchor: Redis pub/sub fan-out from one publisher connection to N Lettuce subscriber
 * connections on one channel. Each message has the shape and size of an iii stream frame, with
 * the publisher's {@code System.nanoTime()} under the same key, so both systems carry the same
 * bytes and are timed the same way.
 */
final class RedisFanout implements AutoCloseable {

  private final ClientResources resources;
  private final RedisClient client;
  private final RedisURI uri;
  private final byte[] channel;
  private final String epoch = UUID.randomUUID().toString();
  private final List<StatefulRedisPubSubConnection<byte[], byte[]>> subscribers = new ArrayList<>();
  private StatefulRedisConnection<byte[], byte[]> publisher;

  RedisFanout(String url, int ioThreads) {
    Loopback.require(url);
    this.uri = RedisURI.create(url);
    this.resources = DefaultClientResources.builder().ioThreadPoolSize(ioThreads).computationThreadPoolSize(2).build();
    this.client = RedisClient.create(resources, uri);
    client.setOptions(ClientOptions.builder().autoReconnect(false).build());
    this.channel = ("iii-bench-fanout-" + ProcessHandle.current().pid()).getBytes(StandardCharsets.US_ASCII);
  }

  /** Opens and subscribes {@code count} connections, 128 at a time; returns how many subscribed. */
  int subscribe(int count, LatencySink sink) throws Exception {
    RedisPubSubAdapter<byte[], byte[]> listener =
        new RedisPubSubAdapter<>() {
          @Override
          public void message(byte[] ch, byte[] message) {
            LatencySink.Slot slot = sink.slot();
            long stamp = Stamp.find(message, 0, message.length);
            if (stamp == Stamp.NONE) {
              slot.deliveredUntimed();
            } else {
              slot.delivered(stamp);
            }
          }
        };
    Semaphore connecting = new Semaphore(128);
    List<CompletableFuture<Void>> subscribed = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      connecting.acquire();
      ConnectionFuture<StatefulRedisPubSubConnection<byte[], byte[]>> f = client.connectPubSubAsync(ByteArrayCodec.INSTANCE, uri);
      subscribed.add(
          f.thenCompose(
                  c -> {
                    synchronized (subscribers) {
                      subscribers.add(c);
                    }
                    c.addListener(listener);
                    return c.async().subscribe(channel);
                  })
              .whenComplete((v, e) -> connecting.release())
              .toCompletableFuture());
    }
    int ok = 0;
    for (CompletableFuture<Void> f : subscribed) {
      try {
        f.get(30, TimeUnit.SECONDS);
        ok++;
      } catch (Exception e) {
        // counted as not subscribed
      }
    }
    publisher = client.connect(ByteArrayCodec.INSTANCE);
    return ok;
  }

  /** Subscriber connections that are no longer open (Redis drops slow pub/sub clients). */
  long closed() {
    synchronized (subscribers) {
      return subscribers.stream().filter(c -> !c.isOpen()).count();
    }
  }

  /** Receivers of one test message, as Redis counts them. */
  long receivers() throws Exception {
    return publisher.sync().publish(channel, message(-1, System.nanoTime()));
  }

  CompletionStage<Long> publish(long seq, long sentNanos) {
    return publisher.async().publish(channel, message(seq, sentNanos));
  }

  /** Byte for byte the shape of an iii stream frame carrying the bench item. */
  private byte[] message(long seq, long sentNanos) {
    String frame =
        "{\"type\":\"stream\",\"timestamp\":" + System.currentTimeMillis()
            + ",\"streamName\":\"bench\",\"groupId\":\"fanout\",\"id\":\"item-" + (seq & 63)
            + "\",\"event\":{\"type\":\"update\",\"data\":" + FanoutBench.itemJson(sentNanos, seq)
            + "},\"seq\":" + (seq + 1) + ",\"epoch\":\"" + epoch + "\"}";
    return frame.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    client.shutdown(0, 2, TimeUnit.SECONDS);
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
