package io.linkly.iii.engine.workers.database;

import java.sql.Connection;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One interactive transaction: the connection pinned to it from {@code beginTransaction} to its
 * end, and its deadline. Its statements run one at a time under {@link #lock}; whoever holds the
 * lock may read or change {@link #state}.
 */
final class OpenTransaction {

  /** Where a transaction stands; an ended one is remembered a while by its wire name. */
  enum State {
    OPEN("open"),
    COMMITTED("committed"),
    ROLLED_BACK("rolled_back"),
    EXPIRED("expired");

    private final String wireName;

    State(String wireName) {
      this.wireName = wireName;
    }

    String wireName() {
      return wireName;
    }
  }

  private final String id;
  private final Database database;
  private final Connection connection;
  private final long timeoutMs;
  private final long deadlineNanos;
  private final Instant expiresAt;
  private final ReentrantLock lock = new ReentrantLock();
  private State state = State.OPEN;
  private volatile ScheduledFuture<?> expiry;

  OpenTransaction(String id, Database database, Connection connection, long timeoutMs, long startNanos, Instant expiresAt) {
    this.id = id;
    this.database = database;
    this.connection = connection;
    this.timeoutMs = timeoutMs;
    this.deadlineNanos = startNanos + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    this.expiresAt = expiresAt;
  }

  String id() {
    return id;
  }

  Database database() {
    return database;
  }

  Connection connection() {
    return connection;
  }

  long timeoutMs() {
    return timeoutMs;
  }

  Instant expiresAt() {
    return expiresAt;
  }

  /** Milliseconds left before the deadline (rounded up), at most 0 once it passed. */
  long remainingMs(long nowNanos) {
    long left = deadlineNanos - nowNanos;
    return left <= 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(left + 999_999);
  }

  ReentrantLock lock() {
    return lock;
  }

  State state() {
    return state;
  }

  void state(State next) {
    state = next;
  }

  void expiry(ScheduledFuture<?> task) {
    expiry = task;
  }

  void cancelExpiry() {
    ScheduledFuture<?> task = expiry;
    if (task != null) {
      task.cancel(false);
    }
  }
}
