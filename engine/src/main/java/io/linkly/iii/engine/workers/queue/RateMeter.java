package io.linkly.iii.engine.workers.queue;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Events per second over the last {@link #WINDOW_SECONDS} whole seconds, in a ring of one-second
 * buckets, and the total since start: cheap enough to mark on every message (a few atomic
 * operations, no allocation).
 */
final class RateMeter {

  static final int WINDOW_SECONDS = 10;
  private static final int SLOTS = WINDOW_SECONDS + 2; // the window, the current second, one being reset

  private final Clock clock;
  private final AtomicLongArray counts = new AtomicLongArray(SLOTS);
  private final AtomicLongArray seconds = new AtomicLongArray(SLOTS);
  private final LongAdder total = new LongAdder();

  RateMeter(Clock clock) {
    this.clock = clock;
  }

  void mark() {
    long second = clock.millis() / 1000;
    int slot = (int) (second % SLOTS);
    long owner = seconds.get(slot);
    if (owner != second && seconds.compareAndSet(slot, owner, second)) {
      counts.set(slot, 0); // the slot held an older second: start it afresh
    }
    counts.incrementAndGet(slot);
    total.increment();
  }

  /** Every event marked since start. */
  long total() {
    return total.sum();
  }

  /** The average per second over the last whole seconds (the current one is still filling). */
  double perSecond() {
    long now = clock.millis() / 1000;
    long sum = 0;
    for (long second = now - WINDOW_SECONDS; second < now; second++) {
      int slot = (int) (second % SLOTS);
      if (seconds.get(slot) == second) {
        sum += counts.get(slot);
      }
    }
    return (double) sum / WINDOW_SECONDS;
  }
}
