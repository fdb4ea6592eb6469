package io.linkly.iii.engine.workers.cron.adapter;

import java.time.Instant;

/**
 * Keeps one firing of a cron job from running more than once: a job's loop takes the lock before
 * it calls the handler and gives it back after. Calls block (they run on the job's virtual thread)
 * and never throw: a lock that cannot be taken because its store is down means "skip this run",
 * which is logged, as upstream does.
 */
public interface CronLocks extends AutoCloseable {

  /**
   * Takes the lock of {@code jobId} for its run scheduled at {@code scheduled}; false when another
   * run of the job holds it, or (shared stores) when another engine already ran this firing.
   */
  boolean acquire(String jobId, Instant scheduled);

  /** Gives the lock back if this instance holds it. */
  void release(String jobId);

  @Override
  void close();
}
