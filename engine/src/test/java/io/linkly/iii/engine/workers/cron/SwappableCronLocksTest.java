package io.linkly.iii.engine.workers.cron;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkly.iii.engine.workers.cron.adapter.CronLocks;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The job locks across a change of store: a run in progress gives its lock back where it took it. */
class SwappableCronLocksTest {

  /** A store that records what it holds and whether it was closed. */
  private static final class Store implements CronLocks {
    final Set<String> held = new HashSet<>();
    boolean closed;

    @Override
    public boolean acquire(String jobId, Instant scheduled) {
      return !closed && held.add(jobId);
    }

    @Override
    public void release(String jobId) {
      held.remove(jobId);
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  private static final Instant NOW = Instant.parse("2026-12-05T00:00:00Z");

  @Test
  void aRunHeldDuringTheChangeReleasesInTheOldStore_whichClosesThen() {
    Store old = new Store();
    Store next = new Store();
    SwappableCronLocks locks = new SwappableCronLocks(old);
    assertThat(locks.acquire("job", NOW)).isTrue();

    locks.replace(next);
    assertThat(old.closed).as("a run still holds a lock in it").isFalse();
    assertThat(locks.acquire("other", NOW)).isTrue();
    assertThat(next.held).containsExactly("other");

    locks.release("job");
    assertThat(old.held).isEmpty();
    assertThat(old.closed).isTrue();
    assertThat(next.closed).isFalse();

    locks.release("other");
    assertThat(next.held).isEmpty();
    locks.close();
    assertThat(next.closed).isTrue();
  }

  @Test
  void aStoreNoRunHoldsClosesAtOnce() {
    Store old = new Store();
    SwappableCronLocks locks = new SwappableCronLocks(old);
    locks.replace(new Store());
    assertThat(old.closed).isTrue();
  }

  @Test
  void theSameJobCannotRunTwiceInOneStore() {
    SwappableCronLocks locks = new SwappableCronLocks(new Store());
    assertThat(locks.acquire("job", NOW)).isTrue();
    assertThat(locks.acquire("job", NOW)).isFalse();
    locks.release("job");
    assertThat(locks.acquire("job", NOW)).isTrue();
  }
}
