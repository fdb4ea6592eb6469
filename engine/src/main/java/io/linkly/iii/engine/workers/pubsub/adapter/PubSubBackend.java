package io.linkly.iii.engine.workers.pubsub.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletableFuture;

/**
 * Where {@code publish} sends events and where {@code subscribe} bindings hear them. Every
 * listener is one subscriber: each event published to a topic reaches every listener of that
 * topic once, and removing one listener leaves the others subscribed.
 *
 * <p>Delivery is fire-and-forget and at most once. Nothing here blocks the calling thread: it may
 * be a Netty event loop.
 */
public interface PubSubBackend extends AutoCloseable {

  /**
   * One subscriber. Called on a backend thread (the publisher's, or the Redis client's I/O
   * thread), so it must return quickly; the payload may be shared with other listeners and must
   * not be modified. {@code traceparent} and {@code baggage} are the publishing call's trace
   * context (null when it had none, or when the backend cannot carry it).
   */
  @FunctionalInterface
  interface Listener {
    void onEvent(JsonNode data, String traceparent, String baggage);
  }

  /**
   * Sends {@code data} to every subscriber of {@code topic}, here or on other engines. The future
   * completes once the backend has taken the event, never after the subscribers' handlers; it
   * fails if the backend could not take it (Redis unreachable). The trace context goes with the
   * event where the backend can carry it (in process: always).
   */
  CompletableFuture<Void> publish(String topic, JsonNode data, String traceparent, String baggage);

  /** Adds a listener to a topic; the same listener may listen to several topics. */
  void subscribe(String topic, Listener listener);

  /** Removes that one listener from the topic; unknown pairs are ignored. */
  void unsubscribe(String topic, Listener listener);

  /**
   * Completes once every {@link #subscribe} made so far is in effect (a Redis SUBSCRIBE is
   * acknowledged asynchronously); in process at once. Used before a backend takes over from another.
   */
  default CompletableFuture<Void> subscriptionsInEffect() {
    return CompletableFuture.completedFuture(null);
  }

  /** Drops every subscription and releases connections. */
  @Override
  void close();
}
