package io.linkly.iii.engine.workers.queue;

import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code iii-queue}'s consumer start/stop work one task at a time, off the caller's thread
 * (it may be an event loop), in the order it was asked for.
 */
final class SerialTasks {
  private static final Logger log = LoggerFactory.getLogger(SerialTasks.class);
  private final Executor executor;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  private boolean running;
  private boolean closed;

  SerialTasks(Executor executor) {
    this.executor = executor;
  }

  void run(Runnable task) {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      tasks.add(task);
      if (running) {
        return;
      }
      running = true;
    } finally {
      lock.unlock();
    }
    executor.execute(this::drain);
  }

  private void drain() {
    while (true) {
      Runnable next;
      lock.lock();
      try {
        next = closed ? null : tasks.poll();
        if (next == null) {
          running = false;
          return;
        }
      } finally {
        lock.unlock();
      }
      try {
        next.run();
      } catch (RuntimeException e) {
        log.error("iii-queue: subscription task failed", e);
      }
    }
  }

  /** Runs {@code task} in turn; the future tells its outcome (cancelled if closed before it ran). */
  <T> CompletableFuture<T> call(Callable<T> task) {
    CompletableFuture<T> outcome = new CompletableFuture<>();
    run(() -> {
      try {
        outcome.complete(task.call());
      } catch (Exception e) {
        outcome.completeExceptionally(e);
      }
    });
    lock.lock();
    try {
      if (closed) {
        outcome.cancel(false);
      }
    } finally {
      lock.unlock();
    }
    return outcome;
  }

  void close() {
    lock.lock();
    try {
      closed = true;
      tasks.clear();
    } finally {
      lock.unlock();
    }
  }
}
