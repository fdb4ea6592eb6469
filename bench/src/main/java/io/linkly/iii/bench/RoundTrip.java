package io.linkly.iii.bench;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The two measurements every request/reply system gets in the invoke benchmark: latency with one
 * call in flight, and throughput with a fixed window of calls in flight.
 */
final class RoundTrip {

  /** One asynchronous request; the future completes with the reply. */
  interface Caller {
    CompletableFuture<?> call();
  }

  record Latency(long count, double p50us, double p99us, double p999us) {}

  private RoundTrip() {}

  static Latency sequential(Caller caller, int warmup, int count) throws Exception {
    for (int i = 0; i < warmup; i++) {
      caller.call().get(10, TimeUnit.SECONDS);
    }
    Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    for (int i = 0; i < count; i++) {
      long start = System.nanoTime();
      caller.call().get(10, TimeUnit.SECONDS);
      histogram.recordValue(System.nanoTime() - start);
    }
    return new Latency(
        histogram.getTotalCount(),
        histogram.getValueAtPercentile(50) / 1000.0,
        histogram.getValueAtPercentile(99) / 1000.0,
        histogram.getValueAtPercentile(99.9) / 1000.0);
  }

  /** Keeps {@code window} calls in flight for {@code seconds}; returns completed calls per second. */
  static double windowed(Caller caller, int window, double warmupSeconds, double seconds) throws Exception {
    run(caller, window, warmupSeconds);
    return run(caller, window, seconds) / seconds;
  }

  private static long run(Caller caller, int window, double seconds) throws Exception {
    AtomicLong done = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    CompletableFuture<Void> finished = new CompletableFuture<>();
    AtomicLong active = new AtomicLong(window);
    for (int i = 0; i < window; i++) {
      chain(caller, end, done, failed, active, finished);
    }
    finished.get((long) seconds + 30, TimeUnit.SECONDS);
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " calls failed");
    }
    return done.get();
  }

  private static void chain(
      Caller caller, long end, AtomicLong done, AtomicLong failed, AtomicLong active, CompletableFuture<Void> finished) {
    if (System.nanoTime() >= end) {
      if (active.decrementAndGet() == 0) {
        finished.complete(null);
      }
      return;
    }
    caller
        .call()
        .whenComplete(
            (r, e) -> {
              if (e != null) {
                failed.incrementAndGet();
              } else if (System.nanoTime() < end) {
                done.incrementAndGet();
              }
              chain(caller, end, done, failed, active, finished);
            });
  }
}
