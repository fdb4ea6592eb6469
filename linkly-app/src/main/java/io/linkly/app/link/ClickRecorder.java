package io.linkly.app.link;

import io.linkly.app.visit.Visit;
import io.linkly.iii.engine.core.LoopThreads;
import io.linkly.iii.sdk.IiiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records clicks in batches, with no timer: every {@code link::record_click} call hands its click
 * over and waits, and one writer inserts whatever has gathered in one transaction, so the clicks
 * the queue delivers concurrently share one commit (one fsync) instead of paying one each.
 *
 * <p>Each click keeps its own outcome: when a batch fails, its clicks are inserted one at a time,
 * so a click the database refuses fails alone (its queue message is retried) and the others are
 * recorded. The idempotency key works as before: a click recorded earlier comes back empty.
 */
final class ClickRecorder implements AutoCloseable {

  /** A click to record: the link, when, the key that makes redelivery harmless, and who clicked. */
  record Click(String code, String clickedAt, String clickKey, Visit visit) {}

  /** Where clicks go; row ids come back, empty for a key recorded before. */
  interface Store {
    /** All of {@code clicks} in one transaction, or none of them (then it throws). */
    List<Optional<String>> insertClicks(List<Click> clicks);

    Optional<String> insertClick(Click click);
  }

  static final int MAX_BATCH = 500;
  private static final Logger log = LoggerFactory.getLogger(ClickRecorder.class);

  private record Pending(Click click, CompletableFuture<Optional<String>> outcome) {}

  private final Store store;
  private final BlockingQueue<Pending> waiting = new ArrayBlockingQueue<>(4 * MAX_BATCH);
  private final Thread writer;
  private volatile boolean closed;

  ClickRecorder(Store store) {
    this.store = store;
    this.writer = LoopThreads.start("click-recorder", this::writeLoop);
  }

  /** Records {@code click}; its row id, or empty when a click with its key was recorded before. */
  Optional<String> record(Click click) throws InterruptedException {
    if (closed) {
      throw new IiiException("SHUTTING_DOWN", "the link worker is stopping");
    }
    Pending pending = new Pending(click, new CompletableFuture<>());
    waiting.put(pending);
    try {
      return pending.outcome().join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>(MAX_BATCH);
    while (!closed) {
      try {
        Pending first = waiting.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        waiting.drainTo(batch, MAX_BATCH - 1);
        write(batch);
      } catch (InterruptedException e) {
        break;
      } catch (RuntimeException e) {
        log.error("recording {} clicks failed", batch.size(), e);
        batch.forEach(p -> p.outcome().completeExceptionally(e));
      } finally {
        batch.clear();
      }
    }
    Pending left;
    while ((left = waiting.poll()) != null) {
      left.outcome().completeExceptionally(new IiiException("SHUTTING_DOWN", "the link worker is stopping"));
    }
  }

  private void write(List<Pending> batch) {
    List<Optional<String>> ids;
    try {
      ids = store.insertClicks(batch.stream().map(Pending::click).toList());
    } catch (IiiException e) {
      if (batch.size() > 1) {
        log.warn("a batch of {} clicks failed ({}); recording them one by one", batch.size(), e.getMessage());
      }
      for (Pending p : batch) {
        try {
          p.outcome().complete(store.insertClick(p.click()));
        } catch (RuntimeException single) {
          p.outcome().completeExceptionally(single);
        }
      }
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).outcome().complete(ids.get(i));
    }
  }

  @Override
  public void close() {
    closed = true;
    writer.interrupt();
  }
}
