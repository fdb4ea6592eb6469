package io.linkly.iii.engine.workers.database;

import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Statement timeouts in milliseconds (JDBC's own are in whole seconds). When a watch expires it
 * cancels the statement it tracks, which interrupts SQLite ({@code sqlite3_interrupt}) or sends a
 * PostgreSQL cancel request; the cancel itself runs on a virtual thread because pgjdbc opens a
 * connection for it. It also ends interactive transactions that outlive their timeout.
 */
final class QueryTimer implements AutoCloseable {

  private final ScheduledThreadPoolExecutor scheduler;
  private final Executor cancels;

  QueryTimer(Executor cancels) {
    this.cancels = cancels;
    this.scheduler =
        new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon().name("iii-database-timer").factory());
    this.scheduler.setRemoveOnCancelPolicy(true); // finished queries leave nothing queued behind
  }

  Watch start(long timeoutMs) {
    Watch watch = new Watch();
    watch.task = scheduler.schedule(watch::expire, timeoutMs, TimeUnit.MILLISECONDS);
    return watch;
  }

  /**
   * Runs {@code task} after {@code delayMs} on a virtual thread (it may block: an expired
   * transaction rolls back); cancel the returned future to call it off.
   */
  ScheduledFuture<?> after(long delayMs, Runnable task) {
    return scheduler.schedule(() -> cancels.execute(task), delayMs, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }

  /** One call's deadline; close it before the connection goes back to its pool. */
  final class Watch implements AutoCloseable {

    private final AtomicReference<Statement> current = new AtomicReference<>();
    private volatile boolean expired;
    private volatile ScheduledFuture<?> task;

    /** The statement to cancel on expiry; one that starts after expiry is cancelled at once. */
    void track(Statement statement) {
      current.set(statement);
      if (expired) {
        cancel(statement);
      }
    }

    /** The tracked statement finished; a late expiry must not hit what runs next on the connection. */
    void done() {
      current.set(null);
    }

    boolean expired() {
      return expired;
    }

    private void expire() {
      expired = true;
      Statement statement = current.get();
      if (statement != null) {
        cancel(statement);
      }
    }

    private void cancel(Statement statement) {
      cancels.execute(
          () -> {
            try {
              if (current.get() == statement) {
                statement.cancel();
              }
            } catch (SQLException | RuntimeException ignored) {
              // the statement finished or closed meanwhile; nothing left to stop
            }
          });
    }

    @Override
    public void close() {
      current.set(null);
      ScheduledFuture<?> t = task;
      if (t != null) {
        t.cancel(false);
      }
    }
  }
}
