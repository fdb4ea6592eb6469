package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.LongAdder;

/** Counts every invocation and how it ended; {@code engine::health::check} reports them. */
public final class InvocationCounters implements InvocationInterceptor {

  private final LongAdder started = new LongAdder();
  private final LongAdder succeeded = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder timedOut = new LongAdder();
  private final LongAdder cancelled = new LongAdder();
  private final LongAdder refused = new LongAdder();

  @Override
  public CompletableFuture<JsonNode> intercept(Chain chain) {
    started.increment();
    CompletableFuture<JsonNode> outcome = chain.proceed(chain.call());
    outcome.whenComplete((value, failure) -> count(failure));
    return outcome;
  }

  /** Deadlines are applied around the chain, so a timeout is counted where the router sees it. */
  void countTimeout() {
    timedOut.increment();
  }

  private void count(Throwable failure) {
    if (failure == null) {
      succeeded.increment();
      return;
    }
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof CancellationException) {
      cancelled.increment();
    } else if (cause instanceof InvocationException e && Router.WORKER_BUSY.equals(e.error().code())) {
      refused.increment();
    } else {
      failed.increment();
    }
  }

  public Snapshot snapshot() {
    return new Snapshot(started.sum(), succeeded.sum(), failed.sum(), timedOut.sum(), cancelled.sum(), refused.sum());
  }

  /**
   * Totals since start. A timed-out call is also counted as cancelled or failed by the time its
   * target gives up on it.
   */
  public record Snapshot(long started, long succeeded, long failed, long timedOut, long cancelled, long refused) {}
}
