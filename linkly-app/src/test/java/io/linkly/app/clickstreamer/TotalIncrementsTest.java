package io.linkly.app.clickstreamer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.sdk.IiiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TotalIncrementsTest {

  /** A store whose every write takes a while, as a flushed disk write does, and that checks writes of one link never overlap. */
  private static final class SlowStore implements TotalIncrements.Writer {
    final Map<String, AtomicLong> totals = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> busy = new ConcurrentHashMap<>();
    final List<Long> writes = new CopyOnWriteArrayList<>();
    final Map<String, String> latest = new ConcurrentHashMap<>();
    volatile boolean overlapped;

    @Override
    public void increment(String code, long by, String lastClickedAt) {
      if (busy.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet() > 1) {
        overlapped = true;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      totals.computeIfAbsent(code, c -> new AtomicLong()).addAndGet(by);
      latest.put(code, lastClickedAt);
      writes.add(by);
      busy.get(code).decrementAndGet();
    }
  }

  @Test
  void clicksOfABusyLinkShareWritesAndEveryCallerReturnsWithItsClickCounted() throws Exception {
    SlowStore store = new SlowStore();
    TotalIncrements increments = new TotalIncrements(store);
    int callers = 400;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    List<Long> seenAtReturn = new CopyOnWriteArrayList<>();
    for (int i = 0; i < callers; i++) {
      String clickedAt = String.format("2026-12-05T10:00:%02d.%03dZ", i / 1000, i % 1000);
      threads.add(Thread.ofVirtual().start(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        increments.add("busy", clickedAt);
        seenAtReturn.add(store.totals.get("busy").get());
      }));
    }
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    assertThat(store.totals.get("busy").get()).isEqualTo(callers);
    assertThat(store.writes.stream().mapToLong(Long::longValue).sum()).isEqualTo(callers);
    assertThat(store.writes.size()).as("writes for %d clicks", callers).isLessThan(callers / 4);
    assertThat(store.overlapped).as("two writes of one link at once").isFalse();
    assertThat(seenAtReturn).allMatch(total -> total >= 1); // each returned after a write that held its click
    assertThat(store.latest.get("busy")).isEqualTo("2026-12-05T10:00:00.399Z");
  }

  @Test
  void aFailedWriteFailsTheCallersOfItsRoundAndTheNextRoundStillRuns() {
    AtomicInteger calls = new AtomicInteger();
    TotalIncrements increments = new TotalIncrements((code, by, last) -> {
      if (calls.incrementAndGet() == 1) {
        throw new IiiException("STREAM_UPDATE_ERROR", "disk full");
      }
    });
    assertThatThrownBy(() -> increments.add("a", "2026-12-05T10:00:00.000Z")).isInstanceOf(IiiException.class).hasMessageContaining("disk full");
    increments.add("a", "2026-12-05T10:00:01.000Z");
    assertThat(calls.get()).isEqualTo(2);
  }
}
