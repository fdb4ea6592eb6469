package io.linkly.iii.engine.workers.stream.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.TraceContext;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.updates.UpdateError;
import io.linkly.iii.engine.updates.UpdateOp;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The one interface {@code iii-stream} needs from storage: stream → group → item → JSON value,
 * items of a group in first-insertion order (the {@code redis} store: Redis hash order).
 *
 * <p>Every write of an engine-local store passes through the worker's {@link Commits} in the order
 * it is committed, so the worker can number and publish changes in exactly that order, atomically
 * with their becoming visible. A store shared between engines reports its changes through
 * {@link SharedStreamStore.Feed} instead. A write returns once it is durable.
 */
public interface StreamStore extends AutoCloseable {

  /** What a write did: the item's value before and after (null: absent). */
  record Change(JsonNode previous, JsonNode value) {}

  /** The worker's side of a commit. */
  @FunctionalInterface
  interface Commits {
    /**
     * Runs {@code apply} exactly once; it makes the write visible and says what changed.
     * {@code origin} is the trace context the writer passed with the write (null: none).
     */
    Change commit(String stream, String group, String item, TraceContext origin, Supplier<Change> apply);
  }

  /** An update's outcome: the change, and the ops that failed. */
  record Updated(Change change, List<UpdateError> errors) {}

  JsonNode get(String stream, String group, String item) throws StreamStoreException;

  /** The group's values in first-insertion order; empty for an unknown group. */
  List<JsonNode> list(String stream, String group) throws StreamStoreException;

  /** The groups of a stream that have been written since start. */
  List<String> groups(String stream) throws StreamStoreException;

  /** Every stream with its sorted groups, sorted by stream name. */
  Map<String, List<String>> streams() throws StreamStoreException;

  /**
   * Stores a value; returns the previous one (null: the item did not exist). {@code origin}, the
   * writing call's trace context (may be null), goes with the write to its commit, so the
   * change's triggers join the writer's trace; so for every write below.
   */
  JsonNode put(String stream, String group, String item, JsonNode value, TraceContext origin) throws StreamStoreException;

  /** Removes an item; returns what it held, or null when there was nothing to remove. */
  JsonNode remove(String stream, String group, String item, TraceContext origin) throws StreamStoreException;

  /** Applies update ops to an item atomically (BUILTINS.md §3). */
  Updated update(String stream, String group, String item, List<UpdateOp> ops, TraceContext origin) throws StreamStoreException;

  /**
   * Keeps the group's newest {@code keep} items (insertion order) and lets the older ones go without
   * announcing them: a trimmed window is not a change subscribers act on (as Redis' MAXLEN or a
   * log's retention), and announcing each would double the fan-out of a bounded stream. Every
   * store of ours knows its items' creation order; one that did not would refuse here.
   */
  default void expireOldest(String stream, String group, int keep) throws StreamStoreException {
    throw new StreamStoreException("this stream store keeps no insertion order, so it cannot bound a group's items");
  }

  /**
   * Runs {@code body} while no write of this store to the group is under way, so that what
   * {@code body} reads from the store and the changes the worker has published agree (a joining
   * subscriber's snapshot). The local stores need nothing for that: they write inside the worker's
   * commit, under the group's lock, which the worker holds for a snapshot. A store whose writes
   * wait on the network outside that lock (the bridge) holds its own per-group lock here; it may
   * fail when a write holds the group too long.
   */
  default <T> T excludingWrites(String stream, String group, Supplier<T> body) throws StreamStoreException {
    return body.get();
  }

  /** The store's health for {@code engine::health::check}. */
  default Health health() {
    return Health.ok();
  }

  /** True when writes wait for the disk or the network, so they must not run on an event loop. */
  boolean writesBlock();

  /**
   * True when reads wait for the network: they then run off the event loops and outside the
   * worker's group locks.
   */
  default boolean readsBlock() {
    return false;
  }

  @Override
  void close();
}
