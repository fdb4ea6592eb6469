package io.linkly.iii.engine.workers.stream.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The one interface {@code iii-stream} needs from storage: stream → group → item → JSON value,
 * items of a group in first-insertion order.
 *
 * <p>The worker calls writes (and the reads that must agree with them) under the group's lock, so
 * an implementation needs no ordering of its own within a group. A write is visible as soon as the
 * call returns and durable when {@link Write#durable()} completes; the worker acknowledges the
 * caller only then.
 */
public interface StreamStore extends AutoCloseable {

  /** The value an item held before a write ({@code null}: it did not exist). */
  record Write(JsonNode previous, CompletableFuture<Void> durable) {
    public static Write done(JsonNode previous) {
      return new Write(previous, CompletableFuture.completedFuture(null));
    }
  }

  JsonNode get(String stream, String group, String item);

  /** The group's values in first-insertion order; empty for an unknown group. */
  List<JsonNode> list(String stream, String group);

  /** The groups of a stream that have been written since start. */
  List<String> groups(String stream);

  /** Every stream with its groups. */
  Map<String, List<String>> streams();

  Write put(String stream, String group, String item, JsonNode value) throws StreamStoreException;

  /** Removes an item; {@link Write#previous()} is null when there was nothing to remove. */
  Write remove(String stream, String group, String item) throws StreamStoreException;

  @Override
  void close();
}
