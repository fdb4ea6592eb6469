package io.linkly.app.guard;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Links created per client per minute: one Bucket4j bucket per client address, {@code perMinute}
 * tokens refilled greedily over a minute. At most {@code maxClients} buckets are kept; past that
 * the least recently used goes (its client starts again with a full bucket), so a flood of
 * distinct addresses costs bounded memory.
 */
final class CreationLimit {

  static final int MAX_CLIENTS = 10_000;

  private final long perMinute;
  private final ReentrantLock lock = new ReentrantLock();
  private final LinkedHashMap<String, Bucket> buckets;

  CreationLimit(long perMinute, int maxClients) {
    this.perMinute = perMinute;
    this.buckets = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
        return size() > maxClients;
      }
    };
  }

  /** Takes one creation from {@code client}'s bucket: 0 when allowed, else the nanoseconds until one is. */
  long tryAcquire(String client) {
    Bucket bucket;
    lock.lock();
    try {
      bucket = buckets.computeIfAbsent(client, c -> newBucket());
    } finally {
      lock.unlock();
    }
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    return probe.isConsumed() ? 0 : Math.max(1, probe.getNanosToWaitForRefill());
  }

  /** Clients with a bucket now. */
  int clients() {
    lock.lock();
    try {
      return buckets.size();
    } finally {
      lock.unlock();
    }
  }

  private Bucket newBucket() {
    return Bucket.builder().addLimit(limit -> limit.capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1))).build();
  }
}
