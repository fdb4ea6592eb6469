package io.linkly.iii.engine.workers.cron.adapter;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code kv} adapter: locks that expire after {@code lock_ttl_ms}, in this engine's memory.
 * They keep a job's runs apart within one engine (a re-registered job cannot overlap the run its
 * predecessor is still finishing); other engines do not see them, so every engine runs every job,
 * as upstream warns.
 *
 * <p>A job takes and gives back its lock on its own thread, so the thread is the owner: a run that
 * outlived its lock cannot give back the lock a newer run has taken since.
 */
public final class MemoryCronLocks implements CronLocks {

  private record Lease(Thread owner, long expiresAtMs) {}

  private final Map<String, Lease> leases = new ConcurrentHashMap<>();
  private final Clock clock;
  private final long ttlMs;

  public MemoryCronLocks(Clock clock, long ttlMs) {
    this.clock = clock;
    this.ttlMs = ttlMs;
  }

  @Override
  public boolean acquire(String jobId, Instant scheduled) {
    long now = clock.millis();
    Thread me = Thread.currentThread();
    boolean[] taken = {false};
    leases.compute(jobId, (id, held) -> {
      if (held != null && held.expiresAtMs() > now) {
        return held;
      }
      taken[0] = true;
      return new Lease(me, now + ttlMs);
    });
    return taken[0];
  }

  @Override
  public void release(String jobId) {
    Thread me = Thread.currentThread();
    leases.computeIfPresent(jobId, (id, held) -> held.owner() == me ? null : held);
  }

  @Override
  public void close() {
    leases.clear();
  }
}
