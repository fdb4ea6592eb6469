package io.linkly.iii.engine.workers.pubsub.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.LogSafe;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code local} adapter: in-process fan-out. A publish hands the event to each listener of
 * the topic on the publisher's thread; listeners only start their (asynchronous) calls, so the
 * publisher never waits for a handler.
 */
public final class LocalPubSub implements PubSubBackend {

  private static final Logger log = LoggerFactory.getLogger(LocalPubSub.class);

  private final Subscribers subscribers = new Subscribers();

  @Override
  public CompletableFuture<Void> publish(String topic, JsonNode data, String traceparent, String baggage) {
    for (Listener listener : subscribers.of(topic)) {
      try {
        listener.onEvent(data, traceparent, baggage);
      } catch (RuntimeException e) {
        log.warn("pubsub listener on topic {} failed", LogSafe.escape(topic), e);
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void subscribe(String topic, Listener listener) {
    subscribers.add(topic, listener);
  }

  @Override
  public void unsubscribe(String topic, Listener listener) {
    subscribers.remove(topic, listener);
  }

  @Override
  public void close() {
    subscribers.clear();
  }
}
