package io.linkly.app.clickstreamer;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A link's total grows by one write per round, not one per click: while an increment of a link
 * is on its way, the clicks that arrive for it gather, and the next round adds them all at once.
 * Each write of the durable stream store waits for its disk flush, and writes of one item cannot
 * overlap (the store locks the item from read to flush), so one write per click capped a busy
 * link at about one click per flush — the click-streamer fell behind and its clicks reached the
 * dashboards only through the reconciler, tens of seconds late.
 *
 * <p>{@link #add} returns once the round that carries the click is written (or throws what the
 * write threw), so a caller may count on its click being in the total. The caller that finds no
 * round under way for its link writes one; a round that gathered meanwhile is written by a new
 * thread, so no caller waits for more than the round in flight and its own.
 */
final class TotalIncrements {

  /** Writes {@code by} more clicks to {@code code}'s total, the latest of them at {@code lastClickedAt}. */
  interface Writer {
    void increment(String code, long by, String lastClickedAt);
  }

  /** The clicks of one link gathered for the next write. */
  private static final class Round {
    long clicks;
    String latest;
    final CompletableFuture<Void> written = new CompletableFuture<>();
  }

  private final Writer writer;
  // guarded by this: the round gathering per link, and the links with a write under way
  private final Map<String, Round> gathering = new HashMap<>();
  private final Set<String> writing = new HashSet<>();

  TotalIncrements(Writer writer) {
    this.writer = writer;
  }

  /** Adds one click of {@code code}, made at {@code clickedAt}; returns once it is in the total. */
  void add(String code, String clickedAt) {
    Round mine;
    boolean leader;
    synchronized (this) {
      mine = gathering.computeIfAbsent(code, c -> new Round());
      mine.clicks++;
      if (mine.latest == null || (clickedAt != null && clickedAt.compareTo(mine.latest) > 0)) {
        mine.latest = clickedAt; // ISO text with fixed digits: text order is time order
      }
      leader = writing.add(code);
    }
    if (leader) {
      writeRound(code);
    }
    try {
      mine.written.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /** Writes the round gathering for {@code code}; hands the next one, if any, to a new thread. */
  private void writeRound(String code) {
    Round round;
    synchronized (this) {
      round = gathering.remove(code);
    }
    try {
      writer.increment(code, round.clicks, round.latest);
      round.written.complete(null);
    } catch (RuntimeException e) {
      round.written.completeExceptionally(e);
    }
    synchronized (this) {
      if (!gathering.containsKey(code)) {
        writing.remove(code);
        return;
      }
    }
    Thread.ofVirtual().name("click-totals-" + code).start(() -> writeRound(code));
  }
}
