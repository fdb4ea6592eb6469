package io.linkly.app.clickstreamer;

import io.linkly.app.Rounds;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
  /**
   * The latest click time written per link: clicks reach here out of order (the queue delivers
   * them concurrently), so a round may hold only clicks older than the previous round's latest,
   * and its write must not move the link's {@code last_clicked_at} back. A link's rounds never
   * overlap, so reading and then updating its entry is safe.
   */
  private final Map<String, String> written = new ConcurrentHashMap<>();

  TotalIncrements(Writer writer) {
    this.rounds = new Rounds<>(Tally::new, (code, tally) -> {
      String latest = later(tally.latest, written.get(code));
      writer.increment(code, tally.clicks, latest);
      if (latest != null) {
        written.put(code, latest);
      }
    }, "click-totals");
  }

  /** Adds one click of {@code code}, made at {@code clickedAt}; returns once it is in the total. */
  void add(String code, String clickedAt) {
    rounds.add(code, tally -> {
      tally.clicks++;
      tally.latest = later(tally.latest, clickedAt);
    });
  }

  /** The later of two click times, either may be null: ISO text with fixed digits, so text order is time order. */
  private static String later(String a, String b) {
    return a == null || (b != null && b.compareTo(a) > 0) ? b : a;
  }
}
