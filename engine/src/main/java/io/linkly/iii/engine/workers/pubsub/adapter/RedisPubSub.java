package io.linkly.iii.engine.workers.pubsub.adapter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.redis.RedisClients;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.linkly.iii.protocol.Json;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code redis} adapter: Redis pub/sub, so every engine on one Redis hears every event.
 *
 * <p>Wire format, shared with upstream iii: the Redis channel is the topic itself and the message
 * is the compact JSON text of {@code data}. An upstream engine on the same Redis therefore sees
 * our events and we see its; a message that is not JSON is logged and dropped, as upstream does.
 * That format has no room for the publisher's trace context, so subscribers' calls start traces
 * of their own.
 *
 * <p>One connection publishes, one pub/sub connection subscribes. The engine holds at most one
 * Redis subscription per topic, taken when the topic gets its first local listener and dropped
 * with its last; every local listener receives each message that subscription delivers (upstream
 * keeps only the first subscriber per topic per engine).
 *
 * <p>Outages: both connections reconnect on their own (backoff capped at {@link RedisClients#MAX_BACKOFF}).
 * While the publisher is down a publish fails at once instead of queueing; the subscriber queues
 * its (un)subscribe commands instead, and Lettuce re-subscribes every confirmed channel when the
 * connection comes back, so subscriptions survive a Redis restart. Events published while this
 * engine was disconnected are lost: pub/sub is at most once.
 */
public final class RedisPubSub implements PubSubBackend {

  private static final Logger log = LoggerFactory.getLogger(RedisPubSub.class);

  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

  private final String safeUrl;
  private final ClientResources resources;
  private final RedisClient publisherClient;
  private final RedisClient subscriberClient;
  private final StatefulRedisConnection<String, byte[]> publisher;
  private final StatefulRedisPubSubConnection<String, byte[]> subscriber;
  private final Subscribers subscribers = new Subscribers();
  // Keeps SUBSCRIBE/UNSUBSCRIBE in the same order as the first-listener/last-listener changes.
  private final ReentrantLock subscriptionOrder = new ReentrantLock();
  private volatile boolean closed;

  private RedisPubSub(
      String safeUrl,
      ClientResources resources,
      RedisClient publisherClient,
      RedisClient subscriberClient,
      StatefulRedisConnection<String, byte[]> publisher,
      StatefulRedisPubSubConnection<String, byte[]> subscriber) {
    this.safeUrl = safeUrl;
    this.resources = resources;
    this.publisherClient = publisherClient;
    this.subscriberClient = subscriberClient;
    this.publisher = publisher;
    this.subscriber = subscriber;
  }

  /**
   * Connects both connections, failing with upstream's message when Redis does not answer.
   *
   * @throws IllegalStateException if Redis cannot be reached
   */
  public static RedisPubSub connect(String url) {
    RedisURI uri = RedisClients.uri(url);
    String safeUrl = RedisClients.redact(url);
    ClientResources resources = RedisClients.resources();
    RedisClient publisherClient = RedisClients.commandClient(resources, uri);
    RedisClient subscriberClient = RedisClient.create(resources, uri);
    subscriberClient.setOptions(RedisClients.subscriptionOptions().build());
    StatefulRedisConnection<String, byte[]> publisher = null;
    try {
      publisher = publisherClient.connect(CODEC);
      StatefulRedisPubSubConnection<String, byte[]> subscriber = subscriberClient.connectPubSub(CODEC);
      RedisPubSub backend =
          new RedisPubSub(safeUrl, resources, publisherClient, subscriberClient, publisher, subscriber);
      subscriber.addListener(
          new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, byte[] message) {
              backend.onMessage(channel, message);
            }
          });
      log.info("iii-pubsub connected to Redis at {}", safeUrl);
      return backend;
    } catch (RuntimeException e) {
      if (publisher != null) {
        publisher.close();
      }
      RedisClients.shutdown(resources, publisherClient, subscriberClient);
      String message = RedisClients.connectFailure(safeUrl, e);
      throw new IllegalStateException(message, e);
    }
  }

  @Override
  public CompletableFuture<Void> publish(String topic, JsonNode data, String traceparent, String baggage) {
    byte[] message;
    try {
      message = Json.mapper().writeValueAsBytes(data);
    } catch (JsonProcessingException e) {
      return CompletableFuture.failedFuture(e);
    }
    try {
      return publisher.async().publish(topic, message).toCompletableFuture().thenApply(receivers -> null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e); // e.g. the request queue is full
    }
  }

  /** The newest SUBSCRIBE sent: the connection answers in order, so the earlier ones are done before it. */
  private volatile CompletableFuture<?> lastSubscribe = CompletableFuture.completedFuture(null);

  @Override
  public CompletableFuture<Void> subscriptionsInEffect() {
    return lastSubscribe.thenApply(v -> null);
  }

  @Override
  public void subscribe(String topic, Listener listener) {
    subscriptionOrder.lock();
    try {
      if (!closed && subscribers.add(topic, listener)) {
        lastSubscribe = subscriber
            .async()
            .subscribe(topic)
            .toCompletableFuture()
            .exceptionally(
                e -> {
                  if (!closed) {
                    log.error("could not subscribe to Redis channel {} at {}: {}", LogSafe.escape(topic), safeUrl, e.getMessage());
                  }
                  return null;
                });
      }
    } finally {
      subscriptionOrder.unlock();
    }
  }

  @Override
  public void unsubscribe(String topic, Listener listener) {
    subscriptionOrder.lock();
    try {
      if (!closed && subscribers.remove(topic, listener)) {
        subscriber
            .async()
            .unsubscribe(topic)
            .exceptionally(
                e -> {
                  if (!closed) {
                    log.warn("could not unsubscribe from Redis channel {}: {}", LogSafe.escape(topic), e.getMessage());
                  }
                  return null;
                });
      }
    } finally {
      subscriptionOrder.unlock();
    }
  }

  /** Runs on a Lettuce I/O thread: parse once, hand the same tree to every local listener. */
  private void onMessage(String topic, byte[] message) {
    List<Listener> listeners = subscribers.of(topic);
    if (listeners.isEmpty()) {
      return; // a message that was in flight when the last listener left
    }
    JsonNode data;
    try {
      data = Json.mapper().readTree(message);
    } catch (IOException e) {
      data = null;
    }
    if (data == null || data.isMissingNode()) {
      log.error("dropping a message on Redis channel {}: it is not JSON", LogSafe.escape(topic));
      return;
    }
    for (Listener listener : listeners) {
      try {
        listener.onEvent(data, null, null);
      } catch (RuntimeException e) {
        log.warn("pubsub listener on topic {} failed", LogSafe.escape(topic), e);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    subscribers.clear();
    try {
      subscriber.close();
      publisher.close();
    } catch (RuntimeException e) {
      log.debug("closing Redis connections: {}", e.getMessage());
    }
    RedisClients.shutdown(resources, publisherClient, subscriberClient);
  }
}
