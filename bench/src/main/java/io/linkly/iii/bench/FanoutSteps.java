package io.linkly.iii.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * Steps one publisher's rate up against a fixed set of subscribers and finds the highest rate the
 * system keeps up with; then measures latency at half of it. The same procedure runs for iii and
 * for the Redis anchor, so their figures are comparable.
 *
 * <p>A step keeps up when the writer issued ≥ 99% of its schedule with no failed call, ≥ 99% of
 * the expected deliveries arrived inside the step's own window (so the mean lag stays under ~1% of
 * the window), p99 stayed under {@link #P99_BOUND_MILLIS} ms (queues are not building up), the
 * stragglers drained within a second, nothing was lost and no subscriber was disconnected.
 *
 * <p>Each step also prints the cores this JVM used and the cores other processes used meanwhile
 * ({@link CpuMeter}), so a step spoiled by a neighbour on a shared machine can be recognised.
 */
final class FanoutSteps {

  /** Publishes message number {@code seq}, embedding {@code sentNanos}; completes when acknowledged. */
  interface Publisher {
    CompletionStage<?> publish(long seq, long sentNanos);
  }

  record Step(
      double setRate,
      double seconds,
      long scheduled,
      long issued,
      long failed,
      long deliveredInWindow,
      long expected,
      long lost,
      long drainMillis,
      long disconnected,
      Histogram latency,
      double ownCores,
      double otherCores,
      boolean keptUp) {

    double deliveriesPerSecond() {
      return deliveredInWindow / seconds;
    }

    double ms(double percentile) {
      return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(percentile) / 1e6;
    }
  }

  record Result(List<Step> steps, Step best, Step half) {}

  private static final long DRAIN_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(3);
  private static final long DRAIN_OK_MILLIS = 1_000;
  static final double P99_BOUND_MILLIS = 100;

  private final String name;
  private final Publisher publisher;
  private final LatencySink sink;
  private final int subscribers;
  private final int maxInFlight;
  private final LongSupplier disconnects;
  private long seq;

  FanoutSteps(String name, Publisher publisher, LatencySink sink, int subscribers, int maxInFlight, LongSupplier disconnects) {
    this.name = name;
    this.publisher = publisher;
    this.sink = sink;
    this.subscribers = subscribers;
    this.maxInFlight = maxInFlight;
    this.disconnects = disconnects;
  }

  /**
   * Warm-up, then rates {@code start, start·factor, …} until one does not keep up twice in a row
   * (a failed step is retried once: on a shared machine one neighbour's burst can spoil a step), or
   * {@code maxRate}, or {@code budgetSeconds} of stepping; one refinement between the last good and
   * the first bad rate; and a latency run at half the best rate (also retried once if spoiled).
   */
  Result search(double start, double factor, double maxRate, double stepSeconds, double budgetSeconds, double halfSeconds)
      throws InterruptedException {
    run(start, Math.min(2, stepSeconds)); // warm-up: JIT, connection buffers; not reported
    List<Step> steps = new ArrayList<>();
    long budgetEnd = System.nanoTime() + (long) (budgetSeconds * 1e9);
    Step best = null;
    Step firstBad = null;
    for (double rate = start; rate <= maxRate && System.nanoTime() < budgetEnd; rate *= factor) {
      Step step = print(run(Math.round(rate), stepSeconds));
      steps.add(step);
      if (!step.keptUp() && System.nanoTime() < budgetEnd) {
        step = print(run(Math.round(rate), stepSeconds)); // retry once
        steps.add(step);
      }
      if (!step.keptUp()) {
        firstBad = step;
        break;
      }
      best = step;
    }
    if (best != null && firstBad != null && System.nanoTime() < budgetEnd) {
      Step mid = print(run(Math.round(Math.sqrt(best.setRate() * firstBad.setRate())), stepSeconds));
      steps.add(mid);
      if (mid.keptUp()) {
        best = mid;
      }
    }
    double halfRate = best == null ? start / 2 : best.setRate() / 2;
    System.out.printf("  %s: latency run at half rate, %.0f sets/s for %.0f s%n", name, halfRate, halfSeconds);
    Step half = print(run(halfRate, halfSeconds));
    if (!half.keptUp()) {
      half = print(run(halfRate, halfSeconds));
    }
    return new Result(steps, best, half);
  }

  static void header() {
    System.out.printf("  %-6s %8s %12s %12s %8s %8s %8s %7s %6s %6s %5s %6s  %s%n",
        "system", "sets/s", "target dl/s", "got dl/s", "p50 ms", "p99 ms", "max ms", "drain", "lost", "disc", "cpu", "others", "kept up");
  }

  private Step print(Step s) {
    System.out.printf("  %-6s %8.0f %12.0f %12.0f %8.2f %8.2f %8.1f %5dms %6d %6d %5.2f %6.2f  %s%n",
        name, s.setRate(), s.setRate() * subscribers, s.deliveriesPerSecond(), s.ms(50), s.ms(99),
        s.latency().getTotalCount() == 0 ? Double.NaN : s.latency().getMaxValue() / 1e6,
        s.drainMillis(), s.lost(), s.disconnected(), s.ownCores(), s.otherCores(), s.keptUp() ? "yes" : "NO" + why(s));
    return s;
  }

  private String why(Step s) {
    List<String> reasons = new ArrayList<>();
    if (s.issued() < 0.99 * s.scheduled()) {
      reasons.add("writer behind (" + s.issued() + " issued)");
    }
    if (s.failed() > 0) {
      reasons.add(s.failed() + " calls failed");
    }
    if (s.deliveredInWindow() < 0.99 * s.expected()) {
      reasons.add(String.format("%.1f%% in window", 100.0 * s.deliveredInWindow() / Math.max(1, s.expected())));
    }
    if (!(s.ms(99) <= P99_BOUND_MILLIS)) {
      reasons.add("p99 over " + (long) P99_BOUND_MILLIS + " ms");
    }
    if (s.drainMillis() > DRAIN_OK_MILLIS) {
      reasons.add("backlog");
    }
    if (s.lost() > 0) {
      reasons.add("lost");
    }
    if (s.disconnected() > 0) {
      reasons.add("disconnects");
    }
    return reasons.isEmpty() ? "" : " (" + String.join(", ", reasons) + ")";
  }

  /** One step: {@code rate} publishes per second for {@code seconds}, paced against the clock. */
  Step run(double rate, double seconds) throws InterruptedException {
    sink.interval(); // discard anything left over
    long countBefore = sink.count();
    long disconnectsBefore = disconnects.getAsLong();
    CpuMeter cpu = new CpuMeter();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicLong failed = new AtomicLong();
    long total = Math.round(rate * seconds);
    double gap = 1e9 / rate;
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long giveUp = end + (long) (seconds * 0.1e9);
    long issued = 0;
    while (issued < total) {
      long now = System.nanoTime();
      if (now >= giveUp) {
        break; // too far behind the schedule: the writer cannot keep this rate
      }
      long due = start + (long) (issued * gap);
      if (now < due) {
        LockSupport.parkNanos(Math.min(due - now, 200_000));
        continue;
      }
      if (inFlight.get() >= maxInFlight) {
        LockSupport.parkNanos(20_000);
        continue;
      }
      inFlight.incrementAndGet();
      publisher
          .publish(seq++, System.nanoTime())
          .whenComplete(
              (r, e) -> {
                inFlight.decrementAndGet();
                if (e != null) {
                  failed.incrementAndGet();
                }
              });
      issued++;
    }
    long windowEnd = Math.max(end, System.nanoTime());
    long inWindow = sink.count() - countBefore;
    double ownCores = cpu.ownCores();
    double otherCores = cpu.othersCores();
    long expected = issued * subscribers;
    long drainStart = System.nanoTime();
    while (sink.count() - countBefore < expected && System.nanoTime() - drainStart < DRAIN_LIMIT_NANOS) {
      Thread.sleep(2);
    }
    long drainMillis = (System.nanoTime() - drainStart) / 1_000_000;
    for (int i = 0; i < 1_000 && inFlight.get() > 0; i++) {
      Thread.sleep(5);
    }
    long lost = Math.max(0, expected - (sink.count() - countBefore));
    long disconnected = disconnects.getAsLong() - disconnectsBefore;
    double window = (windowEnd - start) / 1e9;
    Histogram latency = sink.interval();
    boolean keptUp =
        issued >= 0.99 * total
            && failed.get() == 0
            && inWindow >= 0.99 * expected
            && latency.getTotalCount() > 0
            && latency.getValueAtPercentile(99) <= P99_BOUND_MILLIS * 1e6
            && drainMillis <= DRAIN_OK_MILLIS
            && lost == 0
            && disconnected == 0;
    return new Step(rate, window, total, issued, failed.get(), inWindow, expected, lost, drainMillis, disconnected, latency, ownCores, otherCores, keptUp);
  }
}
