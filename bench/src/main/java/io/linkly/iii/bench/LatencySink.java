package io.linkly.iii.bench;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Deliveries and send→receive latency, recorded without contention: every receiving thread (an
 * event loop) gets its own slot with a single-writer recorder and a counter; the benchmark thread
 * reads and merges them between steps.
 */
final class LatencySink {

  static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(60);

  /** One receiving thread's share. Written only by that thread. */
  static final class Slot {
    private final SingleWriterRecorder recorder = new SingleWriterRecorder(1, MAX_NANOS, 3);
    private final AtomicLong count = new AtomicLong();
    private long local;

    /** One delivery carrying the sender's {@code System.nanoTime()}. */
    void delivered(long sentNanos) {
      long latency = System.nanoTime() - sentNanos;
      recorder.recordValue(Math.max(1, Math.min(MAX_NANOS, latency)));
      count.lazySet(++local);
    }

    /** One delivery without a usable timestamp (still counted). */
    void deliveredUntimed() {
      count.lazySet(++local);
    }
  }

  private final List<Slot> slots = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Slot> local =
      ThreadLocal.withInitial(
          () -> {
            Slot slot = new Slot();
            slots.add(slot);
            return slot;
          });

  /** The calling thread's slot; callers on an event loop may cache it. */
  Slot slot() {
    return local.get();
  }

  /** Deliveries so far, over every thread. */
  long count() {
    long sum = 0;
    for (Slot slot : slots) {
      sum += slot.count.get();
    }
    return sum;
  }

  /** Latencies recorded since the previous call, merged over every thread. */
  Histogram interval() {
    Histogram merged = new Histogram(1, MAX_NANOS, 3);
    for (Slot slot : slots) {
      merged.add((AbstractHistogram) slot.recorder.getIntervalHistogram());
    }
    return merged;
  }
}
