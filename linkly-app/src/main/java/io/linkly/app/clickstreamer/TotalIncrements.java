package io.linkly.app.clickstreamer;

import io.linkly.app.Rounds;

/**
 * A link's total grows by one write per round, not one per click ({@link Rounds}): while an
 * increment of a link is on its way, the clicks that arrive for it gather, and the next round adds
 * them all at once. Each write of the durable stream store waits for its disk flush, and writes
 * of one item cannot overlap (the store locks the item from read to flush), so one write per click
 * capped a busy link at about one click per flush — the click-streamer fell behind and its clicks
 * reached the dashboards only through the reconciler, tens of seconds late.
 *
 * <p>{@link #add} returns once the round that carries the click is written (or throws what the
 * write threw), so a caller may count on its click being in the total.
 */
final class TotalIncrements {

  /** Writes {@code by} more clicks to {@code code}'s total, the latest of them at {@code lastClickedAt}. */
  interface Writer {
    void increment(String code, long by, String lastClickedAt);
  }

  /** The clicks of one link gathered for the next write. */
  private static final class Tally {
    long clicks;
    String latest;
  }

  private final Rounds<String, Tally> rounds;

  TotalIncrements(Writer writer) {
    this.rounds = new Rounds<>(Tally::new, (code, tally) -> writer.increment(code, tally.clicks, tally.latest), "click-totals");
  }

  /** Adds one click of {@code code}, made at {@code clickedAt}; returns once it is in the total. */
  void add(String code, String clickedAt) {
    rounds.add(code, tally -> {
      tally.clicks++;
      if (tally.latest == null || (clickedAt != null && clickedAt.compareTo(tally.latest) > 0)) {
        tally.latest = clickedAt; // ISO text with fixed digits: text order is time order
      }
    });
  }
}
