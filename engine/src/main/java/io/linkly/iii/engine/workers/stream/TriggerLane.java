package io.linkly.iii.engine.workers.stream;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Runs one group's trigger deliveries one change after another, so handlers see a group's changes
 * in the order subscribers do. Upstream gives no order here; we keep it because it costs nothing
 * and dashboards built on triggers count on it. The lane is bounded: a handler that stops
 * answering holds up only its own group's triggers, and beyond {@link #MAX_WAITING} waiting
 * changes further ones are dropped and counted (delivery to triggers is best-effort upstream too).
 */
final class TriggerLane {

  static final int MAX_WAITING = 10_000;

  private final Executor executor;
  private final AtomicLong dropped;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Supplier<CompletableFuture<Void>>> waiting = new ArrayDeque<>();
  private boolean busy;

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
      if (busy) {
        return;
      }
      busy = true;
    } finally {
      lock.unlock();
    }
    runNext();
  }

  private void runNext() {
    Supplier<CompletableFuture<Void>> next;
    lock.lock();
    try {
      next = waiting.poll();
      if (next == null) {
        busy = false;
        return;
      }
    } finally {
      lock.unlock();
    }
    executor.execute(
        () -> {
          CompletableFuture<Void> done;
          try {
            done = next.get();
          } catch (RuntimeException e) {
            done = CompletableFuture.completedFuture(null);
          }
          done.whenComplete((r, e) -> runNext());
        });
  }
}
