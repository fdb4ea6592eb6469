package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.metrics.Histogram;
import io.linkly.iii.engine.metrics.MetricWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Counts every invocation and how it ended, in total and per function, with a latency histogram
 * per function: {@code engine::health::check}, {@code engine::metrics::list} and {@code GET
 * /metrics} report them.
 *
 * <p>On the call path this is adder bumps and one map read: no lock and no allocation beyond the
 * completion callback of a call that is not answered in place. The functions tracked are bounded:
 * ids that are not registered, and any beyond {@link #MAX_FUNCTIONS}, are counted under {@code
 * _other}; ids no longer registered are forgotten when the table fills up (per-session function
 * ids come and go).
 */
public final class InvocationCounters implements InvocationInterceptor {

  static final int MAX_FUNCTIONS = 2048;
  /** The series of calls to unregistered ids, or beyond the bound. */
  public static final String OTHER = "_other";

  private final LongAdder started = new LongAdder();
  private final LongAdder succeeded = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder timedOut = new LongAdder();
  private final LongAdder cancelled = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder deferred = new LongAdder();
  private final LongAccumulator minNanos = new LongAccumulator(Math::min, Long.MAX_VALUE);
  private final LongAccumulator maxNanos = new LongAccumulator(Math::max, 0);
  private final ConcurrentHashMap<String, FunctionStats> byFunction = new ConcurrentHashMap<>();
  private final FunctionStats other = new FunctionStats(OTHER);
  private final Predicate<String> registered;

  /** @param registered whether a function id is registered now (new series only for those) */
  InvocationCounters(Predicate<String> registered) {
    this.registered = registered;
  }

  /** One function's counts; adders only, so any thread may bump them. */
  private static final class FunctionStats {
    final String id;
    final LongAdder ok = new LongAdder();
    final LongAdder error = new LongAdder();
    final LongAdder cancelled = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final Histogram latency = new Histogram();

    FunctionStats(String id) {
      this.id = id;
    }
  }

  @Override
  public CompletableFuture<JsonNode> intercept(Chain chain) {
    Call call = chain.call();
    started.increment();
    if (call.action() != null) {
      deferred.increment();
    }
    FunctionStats stats = statsOf(call.functionId());
    long began = System.nanoTime();
    CompletableFuture<JsonNode> outcome = chain.proceed(call);
    if (outcome.isDone()) {
      // answered in place (most built-ins): counted now, with no callback to allocate
      count(stats, began, switch (outcome.state()) {
        case SUCCESS, RUNNING -> null;
        case FAILED -> outcome.exceptionNow();
        case CANCELLED -> CANCELLED;
      });
    } else {
      outcome.whenComplete((value, failure) -> count(stats, began, failure));
    }
    return outcome;
  }

  private static final CancellationException CANCELLED = new CancellationException();

  private FunctionStats statsOf(String functionId) {
    FunctionStats stats = functionId == null ? null : byFunction.get(functionId);
    if (stats != null) {
      return stats;
    }
    if (functionId == null || byFunction.size() >= MAX_FUNCTIONS || !registered.test(functionId)) {
      return other;
    }
    return byFunction.computeIfAbsent(functionId, FunctionStats::new);
  }

  /** Deadlines are applied around the chain, so a timeout is counted where the router sees it. */
  void countTimeout(String functionId) {
    timedOut.increment();
    FunctionStats stats = functionId == null ? null : byFunction.get(functionId);
    (stats == null ? other : stats).timeouts.increment();
  }

  private void count(FunctionStats stats, long began, Throwable failure) {
    long nanos = System.nanoTime() - began;
    stats.latency.record(nanos);
    minNanos.accumulate(nanos);
    maxNanos.accumulate(nanos);
    if (failure == null) {
      succeeded.increment();
      stats.ok.increment();
      return;
    }
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof CancellationException) {
      cancelled.increment();
      stats.cancelled.increment();
    } else if (cause instanceof InvocationException e && Router.WORKER_BUSY.equals(e.error().code())) {
      refused.increment();
      stats.refused.increment();
    } else {
      failed.increment();
      stats.error.increment();
    }
  }

  public Snapshot snapshot() {
    return new Snapshot(
        started.sum(), succeeded.sum(), failed.sum(), timedOut.sum(), cancelled.sum(), refused.sum(), deferred.sum());
  }

  /**
   * Totals since start. A timed-out call is also counted as cancelled or failed by the time its
   * target gives up on it. {@code deferred}: calls that carried an action ({@code void}, {@code
   * enqueue}), whose caller does not wait for the target.
   */
  public record Snapshot(
      long started, long succeeded, long failed, long timedOut, long cancelled, long refused, long deferred) {}

  /** One function's totals since it was first called (or since it was last forgotten). */
  public record FunctionSnapshot(
      String functionId, long ok, long error, long cancelled, long refused, long timeouts, Histogram.Snapshot latency) {

    public long total() {
      return ok + error + cancelled + refused;
    }
  }

  /** Every tracked function (and {@link #OTHER} when it has calls), sorted by id. */
  public List<FunctionSnapshot> byFunction() {
    forgetUnregistered();
    Map<String, FunctionStats> sorted = new TreeMap<>(byFunction);
    List<FunctionSnapshot> out = new ArrayList<>(sorted.size() + 1);
    for (FunctionStats stats : sorted.values()) {
      out.add(snapshot(stats));
    }
    FunctionSnapshot others = snapshot(other);
    if (others.total() > 0 || others.timeouts() > 0) {
      out.add(others);
    }
    return out;
  }

  /** Every call's latency in one histogram, with the exact fastest and slowest (0 with no calls). */
  public Latency latency() {
    Histogram.Snapshot all = other.latency.snapshot();
    for (FunctionStats stats : byFunction.values()) {
      all = all.plus(stats.latency.snapshot());
    }
    long min = minNanos.get();
    return new Latency(all, min == Long.MAX_VALUE ? 0 : min, maxNanos.get());
  }

  public record Latency(Histogram.Snapshot histogram, long minNanos, long maxNanos) {}

  private static FunctionSnapshot snapshot(FunctionStats s) {
    return new FunctionSnapshot(
        s.id, s.ok.sum(), s.error.sum(), s.cancelled.sum(), s.refused.sum(), s.timeouts.sum(), s.latency.snapshot());
  }

  /** Makes room when the table is three-quarters full: functions no longer registered go. */
  private void forgetUnregistered() {
    if (byFunction.size() >= MAX_FUNCTIONS * 3 / 4) {
      byFunction.keySet().removeIf(id -> !registered.test(id));
    }
  }

  /** The Prometheus families of invocations: outcomes, timeouts and latency per function. */
  void collect(MetricWriter out) {
    List<FunctionSnapshot> functions = byFunction();
    out.family("iii_invocations_total", "Invocations that ended, by function and outcome (ok, error, cancelled, refused)", MetricWriter.Type.COUNTER);
    for (FunctionSnapshot f : functions) {
      out.sample("iii_invocations_total", f.ok(), "function", f.functionId(), "outcome", "ok");
      out.sample("iii_invocations_total", f.error(), "function", f.functionId(), "outcome", "error");
      out.sample("iii_invocations_total", f.cancelled(), "function", f.functionId(), "outcome", "cancelled");
      out.sample("iii_invocations_total", f.refused(), "function", f.functionId(), "outcome", "refused");
    }
    out.family("iii_invocation_timeouts_total", "Invocations that passed their deadline (also counted as cancelled or error)", MetricWriter.Type.COUNTER);
    for (FunctionSnapshot f : functions) {
      out.sample("iii_invocation_timeouts_total", f.timeouts(), "function", f.functionId());
    }
    out.family("iii_invocation_duration_seconds", "Time from routing a call to its end, by function", MetricWriter.Type.HISTOGRAM);
    for (FunctionSnapshot f : functions) {
      out.histogram("iii_invocation_duration_seconds", f.latency(), "function", f.functionId());
    }
    Snapshot totals = snapshot();
    out.family("iii_invocations_started_total", "Invocations routed, all functions", MetricWriter.Type.COUNTER);
    out.sample("iii_invocations_started_total", totals.started());
    out.family("iii_invocations_deferred_total", "Invocations with an action (void, enqueue): the caller does not wait for the target", MetricWriter.Type.COUNTER);
    out.sample("iii_invocations_deferred_total", totals.deferred());
  }
}
