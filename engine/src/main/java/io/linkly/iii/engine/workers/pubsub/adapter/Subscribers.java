package io.linkly.iii.engine.workers.pubsub.adapter;

import io.linkly.iii.engine.workers.pubsub.adapter.PubSubBackend.Listener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The listeners of each topic. Reads (one per event) take no lock and see an immutable snapshot;
 * writes (one per binding change) replace the topic's list atomically and report whether the
 * topic gained its first or lost its last listener, which is when a backend (un)subscribes
 * upstream.
 */
final class Subscribers {

  private final Map<String, List<Listener>> byTopic = new ConcurrentHashMap<>();

  /** Adds {@code listener}; true if it is the topic's first. Adding it twice keeps one. */
  boolean add(String topic, Listener listener) {
    boolean[] first = {false};
    byTopic.compute(
        topic,
        (t, current) -> {
          if (current == null) {
            first[0] = true;
            return List.of(listener);
          }
          if (indexOf(current, listener) >= 0) {
            return current;
          }
          List<Listener> next = new ArrayList<>(current.size() + 1);
          next.addAll(current);
          next.add(listener);
          return List.copyOf(next);
        });
    return first[0];
  }

  /** Removes that one listener; true if the topic has no listener left. */
  boolean remove(String topic, Listener listener) {
    boolean[] emptied = {false};
    byTopic.computeIfPresent(
        topic,
        (t, current) -> {
          int index = indexOf(current, listener);
          if (index < 0) {
            return current;
          }
          if (current.size() == 1) {
            emptied[0] = true;
            return null;
          }
          List<Listener> next = new ArrayList<>(current);
          next.remove(index);
          return List.copyOf(next);
        });
    return emptied[0];
  }

  List<Listener> of(String topic) {
    return byTopic.getOrDefault(topic, List.of());
  }

  Set<String> topics() {
    return Set.copyOf(byTopic.keySet());
  }

  void clear() {
    byTopic.clear();
  }

  // Listeners are compared by identity: two bindings with equal contents are two subscribers.
  private static int indexOf(List<Listener> listeners, Listener listener) {
    for (int i = 0; i < listeners.size(); i++) {
      if (listeners.get(i) == listener) {
        return i;
      }
    }
    return -1;
  }
}
