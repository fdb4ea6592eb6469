package io.linkly.iii.engine.workers.observability;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The SDK metrics of {@code engine::metrics::list} ({@code sdk_metrics}): one stored metric per
 * metric of each {@code MTRC} request, in upstream's shape, stamped with the time it arrived.
 * Bounded by {@code metrics_max_count} (oldest first) and {@code metrics_retention_seconds}.
 */
final class MetricStore {

  private final int maxCount;
  private final long retentionNanos;
  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<ObjectNode> metrics = new ArrayDeque<>();

  MetricStore(long maxCount, long retentionSeconds, Clock clock) {
    this.maxCount = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(1, maxCount));
    this.retentionNanos =
        retentionSeconds > Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE : retentionSeconds * 1_000_000_000L;
    this.clock = clock;
  }

  long nowNanos() {
    return clock.millis() * 1_000_000L;
  }

  void addAll(List<ObjectNode> added) {
    long cutoff = cutoff();
    lock.lock();
    try {
      metrics.addAll(added);
      while (!metrics.isEmpty()
          && (metrics.size() > maxCount || metrics.peekFirst().path("timestamp_unix_nano").asLong() < cutoff)) {
        metrics.removeFirst();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Oldest first; {@code startMs}/{@code endMs} bound the arrival time, {@code name} matches exactly. */
  List<ObjectNode> list(String name, Long startMs, Long endMs) {
    long cutoff = cutoff();
    List<ObjectNode> out = new ArrayList<>();
    lock.lock();
    try {
      for (Iterator<ObjectNode> it = metrics.iterator(); it.hasNext(); ) {
        ObjectNode m = it.next();
        long ts = m.path("timestamp_unix_nano").asLong();
        if (ts < cutoff) {
          it.remove(); // arrival order is time order, but the clock may have stepped back
          continue;
        }
        if ((name == null || name.equals(m.path("name").asText()))
            && (startMs == null || ts >= startMs * 1_000_000L)
            && (endMs == null || ts < (endMs + 1) * 1_000_000L)) {
          out.add(m.deepCopy());
        }
      }
    } finally {
      lock.unlock();
    }
    return out;
  }

  int size() {
    lock.lock();
    try {
      return metrics.size();
    } finally {
      lock.unlock();
    }
  }

  private long cutoff() {
    long now = nowNanos();
    return retentionNanos >= now ? Long.MIN_VALUE : now - retentionNanos;
  }
}
