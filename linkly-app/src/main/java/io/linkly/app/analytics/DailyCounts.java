package io.linkly.app.analytics;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * New-link counts per day, written in groups: every count that arrives while a write is under way
 * goes into the next one, so a burst of {@code link.created} (a bulk import announces a million)
 * costs one database write per round instead of one per link, and no caller is answered before
 * its count is written. The caller that finds no write under way writes a round; rounds that
 * gather meanwhile are written one after the other.
 */
final class DailyCounts {

  /** One round: the counts it carries, and the callers waiting for them. */
  private static final class Round {
    final Map<String, Long> byDay = new HashMap<>();
    final CompletableFuture<Map<String, Long>> written = new CompletableFuture<>();
  }

  private final Consumer<Map<String, Long>> writer;
  private final ReentrantLock lock = new ReentrantLock();
  private Round next = new Round();
  private boolean writing;

  /** {@code writer} adds each day's count to the table, throwing when it cannot. */
  DailyCounts(Consumer<Map<String, Long>> writer) {
    this.writer = writer;
  }

  /** Counts one link for {@code day}; returns what the round that wrote it carried, once written. */
  Map<String, Long> add(String day) {
    Round mine;
    boolean leader;
    lock.lock();
    try {
      mine = next;
      mine.byDay.merge(day, 1L, Long::sum);
      leader = !writing;
      writing = true;
    } finally {
      lock.unlock();
    }
    if (leader) {
      writeRounds();
    }
    return mine.written.join();
  }

  /**
   * Writes the waiting round; when another gathered meanwhile, a new thread writes that one, so
   * the caller doing this is answered after its own round however long the burst lasts.
   */
  private void writeRounds() {
    Round round;
    lock.lock();
    try {
      round = next;
      next = new Round();
    } finally {
      lock.unlock();
    }
    try {
      writer.accept(round.byDay);
      round.written.complete(round.byDay);
    } catch (RuntimeException e) {
      round.written.completeExceptionally(e);
    }
    lock.lock();
    try {
      if (next.byDay.isEmpty()) {
        writing = false;
        return;
      }
    } finally {
      lock.unlock();
    }
    Thread.ofVirtual().name("analytics-counts").start(this::writeRounds);
  }
}
