package io.linkly.iii.engine.metrics;

import java.util.concurrent.atomic.LongAdder;

/** A count that only goes up, cheap to bump from any thread (no lock, no allocation). */
public final class Counter {

  private final LongAdder value = new LongAdder();

  public void increment() {
    value.increment();
  }

  /** Adds {@code amount}, which must not be negative: a counter never goes down. */
  public void add(long amount) {
    if (amount < 0) {
      throw new IllegalArgumentException("a counter cannot go down, got " + amount);
    }
    value.add(amount);
  }

  public long value() {
    return value.sum();
  }
}
