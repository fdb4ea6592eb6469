package io.linkly.iii.engine.workers.stream.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.TraceContext;
import java.util.concurrent.CompletableFuture;

/**
 * A store that several engines share (the {@code redis} adapter). It does not use
 * {@link StreamStore.Commits}: every change, whichever engine made it, travels through one ordered
 * channel, and every engine, the writer included, hands what that channel delivers to its own
 * subscribers. All engines therefore deliver one group's changes in the same order, the order in
 * which the store applied them.
 */
public interface SharedStreamStore extends StreamStore {

  /** What the store tells the worker. */
  interface Feed {

    /**
     * A write of this engine succeeded; called once per write, on the writing thread. Only the
     * writer runs the side effects that belong to the write ({@code stream} triggers).
     */
    void wrote(StreamChange change, TraceContext origin);

    /** A change from the channel, any engine's; called in channel order, on one thread. */
    void received(StreamChange change);

    /**
     * The channel was lost and is back: changes published meanwhile never arrived. Called in
     * channel order, before the first change received after the gap.
     */
    void interrupted();
  }

  /** A snapshot's outcome: the value, or why it could not be read. */
  @FunctionalInterface
  interface SnapshotCallback {
    void taken(JsonNode value, Throwable failure);
  }

  /** Sends a change that no write carried ({@code stream::send}, an override's write) to every engine. */
  CompletableFuture<Void> publish(StreamChange change);

  /**
   * Reads, without blocking, what a joining subscriber is synced with: the item's value (a JSON
   * null when absent) when {@code itemId} is given, else the array of the group's values. A value
   * that was read is handed over in channel order, on the thread that calls
   * {@link Feed#received}: after every change received before the read and before any received
   * after it, so the value reflects exactly the changes delivered so far.
   */
  void snapshot(String stream, String group, String itemId, SnapshotCallback then);
}
