package io.linkly.app;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Writes in rounds, with no timer: what callers contribute for a key while a write of that key is
 * under way gathers into the next round, which is written once. So a burst costs one write per
 * round instead of one per caller, whatever a write costs (a disk flush, a transaction). No caller
 * is answered before the round holding its contribution is written.
 *
 * <p>The caller that finds no write under way for its key writes the round; a round that gathered
 * meanwhile is written by a new thread, so no caller waits for more than the round in flight and
 * its own, however long the burst lasts. Rounds of different keys are written independently.
 *
 * @param <K> what rounds are kept apart by (a link's code; one constant for a single stream)
 * @param <T> what a round gathers, changed only under this object's lock
 */
public final class Rounds<K, T> {

  /** Writes one round; throws when it could not, and every caller of that round gets the exception. */
  @FunctionalInterface
  public interface Writer<K, T> {
    void write(K key, T round);
  }

  private static final class Round<T> {
    final T gathered;
    final CompletableFuture<Void> written = new CompletableFuture<>();

    Round(T gathered) {
      this.gathered = gathered;
    }
  }

  private final Supplier<T> fresh;
  private final Writer<K, T> writer;
  private final String threadName;
  // guarded by this: the round gathering per key, and the keys with a write under way
  private final Map<K, Round<T>> gathering = new HashMap<>();
  private final Set<K> writing = new HashSet<>();

  /** {@code fresh} makes an empty round; {@code threadName} names the threads that write later rounds. */
  public Rounds(Supplier<T> fresh, Writer<K, T> writer, String threadName) {
    this.fresh = fresh;
    this.writer = writer;
    this.threadName = threadName;
  }

  /**
   * Adds {@code contribution} (applied to the round under the lock) to {@code key}'s next round;
   * returns that round, once it is written.
   */
  public T add(K key, Consumer<T> contribution) {
    Round<T> mine;
    boolean leader;
    synchronized (this) {
      mine = gathering.computeIfAbsent(key, k -> new Round<>(fresh.get()));
      contribution.accept(mine.gathered);
      leader = writing.add(key);
    }
    if (leader) {
      writeRound(key);
    }
    try {
      mine.written.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
    return mine.gathered;
  }

  /** Writes the round gathering for {@code key}; hands the next one, if any, to a new thread. */
  private void writeRound(K key) {
    Round<T> round;
    synchronized (this) {
      round = gathering.remove(key);
    }
    try {
      writer.write(key, round.gathered);
      round.written.complete(null);
    } catch (RuntimeException e) {
      round.written.completeExceptionally(e);
    }
    synchronized (this) {
      if (!gathering.containsKey(key)) {
        writing.remove(key);
        return;
      }
    }
    Thread.ofVirtual().name(threadName).start(() -> writeRound(key));
  }
}
