package io.linkly.iii.engine.workers.observability.tracing;

import java.util.function.LongSupplier;

/**
 * {@code sampling.rate_limit.max_traces_per_second}: a token bucket holding at most one second's
 * worth of traces, refilled continuously. A trace the ratio keeps takes a token; with none left
 * it is dropped, so a burst of requests costs at most that many traces a second however fast
 * they come.
 */
final class TraceBudget {

  private final double perSecond;
  private final LongSupplier nanoTime;
  private double tokens;
  private long refilledAt;

  TraceBudget(int perSecond, LongSupplier nanoTime) {
    this.perSecond = perSecond;
    this.nanoTime = nanoTime;
    this.tokens = perSecond; // a full bucket: the first second's traces are all kept
    this.refilledAt = nanoTime.getAsLong();
  }

  /** Takes a token if there is one. Called once per new trace, never per span of it. */
  synchronized boolean tryTake() {
    long now = nanoTime.getAsLong();
    tokens = Math.min(perSecond, tokens + (now - refilledAt) * perSecond / 1e9);
    refilledAt = now;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }
}
