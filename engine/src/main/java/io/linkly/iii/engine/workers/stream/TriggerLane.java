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
 * dropped and counted (delivery to triggers is best-effort upstream too).
 */
final class TriggerLane {

  static final int MAX_WAITING = 10_000;
  static final int WINDOW = 32;

  private final Executor executor;
  private final AtomicLong dropped;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Supplier<CompletableFuture<Void>>> waiting = new ArrayDeque<>();
  private int inFlight;
  /** True while a task is starting deliveries: only one does, so they start in order. */
  private boolean starting;

  TriggerLane(Executor executor, AtomicLong dropped) {
    this.executor = executor;
    this.dropped = dropped;
  }

  void submit(Supplier<CompletableFuture<Void>> delivery) {
    lock.lock();
    try {
      if (waiting.size() >= MAX_WAITING) {
        dropped.incrementAndGet();
        return;
      }
      waiting.add(delivery);
    } finally {
      lock.unlock();
    }
    startMore();
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
      Supplier<CompletableFuture<Void>> next;
      lock.lock();
      try {
        if (inFlight >= WINDOW || waiting.isEmpty()) {
          starting = false;
          return;
        }
        next = waiting.poll();
        inFlight++;
      } finally {
        lock.unlock();
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
    lock.lock();
    try {
      inFlight--;
    } finally {
      lock.unlock();
    }
    startMore();
  }
}
