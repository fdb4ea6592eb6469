package io.linkly.iii.engine.workers.stream;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Delivers one binding's share of one group's changes: started strictly in change order, so a
 * handler sees a group's changes in the order subscribers do (upstream gives no order; dashboards
 * built on triggers count on it), with up to {@link #WINDOW} deliveries awaiting their answers at
 * once, so a handler across a socket (a browser tab) is not held to one change per round trip.
 *
 * <p>Each binding has its own lanes: a handler that stops answering (a tab showing a dialog) holds
 * up only itself. A lane is bounded: beyond {@link #MAX_WAITING} waiting changes further ones are
 * dropped and counted (delivery to triggers is best-effort upstream too). A lane with nothing to do
 * tells its owner, which may retire it: a stream with ever new group ids leaves no lanes behind.
 */
final class TriggerLane {

  static final int MAX_WAITING = 10_000;
  static final int WINDOW = 32;

  private final Executor executor;
  private final AtomicLong dropped;
  private final Runnable onIdle;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Supplier<CompletableFuture<Void>>> waiting = new ArrayDeque<>();
  private int inFlight;
  /** True while a task is starting deliveries: only one does, so they start in order. */
  private boolean starting;
  private boolean retired;

  TriggerLane(Executor executor, AtomicLong dropped, Runnable onIdle) {
    this.executor = executor;
    this.dropped = dropped;
    this.onIdle = onIdle;
  }

  /** Queues a delivery; false when the lane was retired (the caller takes a new one). */
  boolean submit(Supplier<CompletableFuture<Void>> delivery) {
    lock.lock();
    try {
      if (retired) {
        return false;
      }
      if (waiting.size() >= MAX_WAITING) {
        dropped.incrementAndGet();
        return true;
      }
      waiting.add(delivery);
    } finally {
      lock.unlock();
    }
    startMore();
    return true;
  }

  /** Retires the lane if it has nothing waiting or in flight; then it takes no more deliveries. */
  boolean retireIfIdle() {
    lock.lock();
    try {
      retired = inFlight == 0 && waiting.isEmpty() && !starting;
      return retired;
    } finally {
      lock.unlock();
    }
  }

  /** Hands a starter task to the executor unless one runs or the window is full. */
  private void startMore() {
    lock.lock();
    try {
      if (starting || inFlight >= WINDOW || waiting.isEmpty()) {
        return;
      }
      starting = true;
    } finally {
      lock.unlock();
    }
    executor.execute(this::start);
  }

  private void start() {
    while (true) {
      Supplier<CompletableFuture<Void>> next = null;
      boolean idle = false;
      lock.lock();
      try {
        if (inFlight < WINDOW && !waiting.isEmpty()) {
          next = waiting.poll();
          inFlight++;
        } else {
          starting = false;
          idle = inFlight == 0; // everything it started has already been answered
        }
      } finally {
        lock.unlock();
      }
      if (next == null) {
        if (idle) {
          onIdle.run();
        }
        return;
      }
      CompletableFuture<Void> done;
      try {
        done = next.get();
      } catch (RuntimeException e) {
        done = CompletableFuture.completedFuture(null);
      }
      done.whenComplete((r, e) -> finished());
    }
  }

  private void finished() {
    boolean idle;
    lock.lock();
    try {
      inFlight--;
      idle = inFlight == 0 && waiting.isEmpty() && !starting;
    } finally {
      lock.unlock();
    }
    if (idle) {
      onIdle.run();
    } else {
      startMore();
    }
  }
}
