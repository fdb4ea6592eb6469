package io.linkly.iii.engine.workers.cron;

import io.linkly.iii.engine.workers.cron.adapter.CronLocks;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The job locks of {@code iii-cron}, whose store can change while jobs run (an adapter change in
 * the configuration worker). New runs take their lock in the current store; a run gives its lock
 * back to the store it took it from; a replaced store closes once no run holds a lock in it. So
 * a job that is running during the change is neither cut off nor run twice by this engine, and
 * the jobs keep their schedule (upstream re-binds them the same way).
 */
final class SwappableCronLocks implements CronLocks {

  /** A run's lock: a job's runs each take and give back their lock on the job's own thread. */
  private record Hold(String jobId, Thread run) {
    static Hold of(String jobId) {
      return new Hold(jobId, Thread.currentThread());
    }
  }

  /**
   * Which store each held lock came from. Keyed by run, not job: a run that outlived its lock
   * (memory locks expire) must not give back, or forget, the lock a newer run took since.
   */
  private final Map<Hold, CronLocks> heldIn = new ConcurrentHashMap<>();
  private final Set<CronLocks> retired = new HashSet<>();
  /** Read: a lock being taken or given back. Write: the store changing, or a retired one closing. */
  private final ReadWriteLock switching = new ReentrantReadWriteLock();
  private volatile CronLocks current;

  SwappableCronLocks(CronLocks first) {
    this.current = first;
  }

  @Override
  public boolean acquire(String jobId, Instant scheduled) {
    switching.readLock().lock();
    try {
      CronLocks store = current;
      if (!store.acquire(jobId, scheduled)) {
        return false;
      }
      heldIn.put(Hold.of(jobId), store);
      return true;
    } finally {
      switching.readLock().unlock();
    }
  }

  @Override
  public void release(String jobId) {
    CronLocks store;
    switching.readLock().lock();
    try {
      store = heldIn.remove(Hold.of(jobId));
      if (store == null) {
        return;
      }
      store.release(jobId);
    } finally {
      switching.readLock().unlock();
    }
    if (store != current) {
      closeUnheld();
    }
  }

  /** Takes {@code next} for new runs; the previous store closes when its last lock is given back. */
  void replace(CronLocks next) {
    switching.writeLock().lock();
    try {
      retired.add(current);
      current = next;
    } finally {
      switching.writeLock().unlock();
    }
    closeUnheld();
  }

  private void closeUnheld() {
    switching.writeLock().lock();
    try {
      retired.removeIf(store -> {
        if (heldIn.containsValue(store)) {
          return false;
        }
        store.close();
        return true;
      });
    } finally {
      switching.writeLock().unlock();
    }
  }

  @Override
  public void close() {
    switching.writeLock().lock();
    try {
      retired.forEach(CronLocks::close);
      retired.clear();
      current.close();
    } finally {
      switching.writeLock().unlock();
    }
  }
}
