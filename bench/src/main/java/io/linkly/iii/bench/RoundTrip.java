package io.linkly.iii.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The two measurements every request/reply system gets in the invoke benchmark: latency with one
 * call in flight, and throughput with a fixed number of calls in flight. Calls are blocking, as
 * handler code makes them; concurrency comes from one virtual thread per call in flight.
 */
final class RoundTrip {

  /** One blocking request/reply. */
  interface Caller {
    void call() throws Exception;
  }

  record Latency(long count, double p50us, double p99us, double p999us) {}

  private RoundTrip() {}

  /** One call at a time from a virtual thread, as a handler would make it. */
  static Latency sequential(Caller caller, int warmup, int count) throws Exception {
    Latency[] out = new Latency[1];
    Exception[] failure = new Exception[1];
    Thread.ofVirtual().start(() -> {
      try {
        out[0] = sequentialHere(caller, warmup, count);
      } catch (Exception e) {
        failure[0] = e;
      }
    }).join();
    if (failure[0] != null) {
      throw failure[0];
    }
    return out[0];
  }

  private static Latency sequentialHere(Caller caller, int warmup, int count) throws Exception {
    for (int i = 0; i < warmup; i++) {
      caller.call();
    }
    Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    for (int i = 0; i < count; i++) {
      long start = System.nanoTime();
      caller.call();
      histogram.recordValue(System.nanoTime() - start);
    }
    return new Latency(
        histogram.getTotalCount(),
        histogram.getValueAtPercentile(50) / 1000.0,
        histogram.getValueAtPercentile(99) / 1000.0,
        histogram.getValueAtPercentile(99.9) / 1000.0);
  }

  /** Keeps {@code inFlight} calls going for {@code seconds}; returns completed calls per second. */
  static double concurrent(Caller caller, int inFlight, double warmupSeconds, double seconds) throws Exception {
    run(caller, inFlight, warmupSeconds);
    return run(caller, inFlight, seconds) / seconds;
  }

  private static long run(Caller caller, int inFlight, double seconds) throws Exception {
    AtomicLong done = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < inFlight; i++) {
      threads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    while (System.nanoTime() < end) {
                      try {
                        caller.call();
                        done.incrementAndGet();
                      } catch (Exception e) {
                        failed.incrementAndGet();
                      }
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " calls failed");
    }
    return done.get();
  }
}
