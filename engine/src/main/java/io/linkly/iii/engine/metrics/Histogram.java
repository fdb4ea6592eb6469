package io.linkly.iii.engine.metrics;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * A latency histogram with fixed buckets, recorded in nanoseconds and exposed in seconds. A record
 * is a short scan of the bounds and two adder bumps: no lock, no allocation, safe from any thread.
 * Each bucket holds only its own values; the scrape makes them cumulative, as Prometheus wants.
 */
public final class Histogram {

  /** Upper bounds, in seconds, of every latency histogram of the engine (then +Inf). */
  public static final double[] LATENCY_BOUNDS_SECONDS = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
  };

  private final double[] boundsSeconds;
  private final long[] boundsNanos;
  private final LongAdder[] buckets; // one more than the bounds: the last is +Inf
  private final LongAdder sumNanos = new LongAdder();

  public Histogram() {
    this(LATENCY_BOUNDS_SECONDS);
  }

  public Histogram(double[] boundsSeconds) {
    for (int i = 1; i < boundsSeconds.length; i++) {
      if (!(boundsSeconds[i] > boundsSeconds[i - 1])) {
        throw new IllegalArgumentException("bucket bounds must increase: " + Arrays.toString(boundsSeconds));
      }
    }
    this.boundsSeconds = boundsSeconds.clone();
    this.boundsNanos = new long[boundsSeconds.length];
    for (int i = 0; i < boundsSeconds.length; i++) {
      boundsNanos[i] = Math.round(boundsSeconds[i] * 1e9);
    }
    this.buckets = new LongAdder[boundsSeconds.length + 1];
    for (int i = 0; i < buckets.length; i++) {
      buckets[i] = new LongAdder();
    }
  }

  /** Records one duration; a negative one (a clock step) counts as zero. */
  public void record(long nanos) {
    long value = Math.max(0, nanos);
    int i = 0;
    while (i < boundsNanos.length && value > boundsNanos[i]) {
      i++;
    }
    buckets[i].increment();
    sumNanos.add(value);
  }

  public Snapshot snapshot() {
    long[] cumulative = new long[buckets.length];
    long running = 0;
    for (int i = 0; i < buckets.length; i++) {
      running += buckets[i].sum();
      cumulative[i] = running;
    }
    return new Snapshot(boundsSeconds, cumulative, sumNanos.sum() / 1e9);
  }

  /**
   * Counts at one moment. {@code cumulative[i]} counts the values at or below {@code bounds[i]};
   * the last entry (+Inf) is the count of all values. Read while calls complete, the sum may be a
   * few values ahead of or behind the buckets.
   */
  public record Snapshot(double[] bounds, long[] cumulative, double sumSeconds) {

    public long count() {
      return cumulative[cumulative.length - 1];
    }

    /** This snapshot plus {@code other}, which must have the same bounds. */
    public Snapshot plus(Snapshot other) {
      if (!Arrays.equals(bounds, other.bounds)) {
        throw new IllegalArgumentException("histograms with different buckets cannot be added");
      }
      long[] sum = new long[cumulative.length];
      for (int i = 0; i < sum.length; i++) {
        sum[i] = cumulative[i] + other.cumulative[i];
      }
      return new Snapshot(bounds, sum, sumSeconds + other.sumSeconds);
    }

    /**
     * The {@code q} quantile (0..1) in seconds, interpolated linearly inside its bucket as
     * Prometheus's {@code histogram_quantile} does; 0 with no values, the highest finite bound when
     * it falls in +Inf.
     */
    public double quantile(double q) {
      long count = count();
      if (count == 0) {
        return 0;
      }
      double rank = Math.max(0, Math.min(1, q)) * count;
      for (int i = 0; i < cumulative.length; i++) {
        if (cumulative[i] >= rank && cumulative[i] > 0) {
          if (i == bounds.length) {
            return bounds[bounds.length - 1];
          }
          double lower = i == 0 ? 0 : bounds[i - 1];
          long below = i == 0 ? 0 : cumulative[i - 1];
          long inBucket = cumulative[i] - below;
          return inBucket == 0 ? bounds[i] : lower + (bounds[i] - lower) * (rank - below) / inBucket;
        }
      }
      return bounds[bounds.length - 1];
    }
  }
}
