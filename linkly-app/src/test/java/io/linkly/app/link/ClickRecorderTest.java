package io.linkly.app.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.app.visit.Visit;
import io.linkly.iii.sdk.IiiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Clicks recorded in batches, each with its own outcome. */
class ClickRecorderTest {

  /**
   * A database in memory that refuses the link "poison" (and with it any batch holding it), holds
   * the first batch until the test lets it go, and counts transactions.
   */
  private static final class FakeStore implements ClickRecorder.Store {
    final List<String> rows = new CopyOnWriteArrayList<>();
    final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
    final CountDownLatch firstBatchStarted = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger ids = new AtomicInteger();

    @Override
    public List<Optional<String>> insertClicks(List<ClickRecorder.Click> clicks) {
      batchSizes.add(clicks.size());
      firstBatchStarted.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      if (clicks.stream().anyMatch(c -> c.code().equals("poison"))) {
        throw new IiiException("DRIVER_ERROR", "poisoned click");
      }
      List<Optional<String>> out = new ArrayList<>();
      clicks.forEach(c -> out.add(insertClick(c)));
      return out;
    }

    @Override
    public Optional<String> insertClick(ClickRecorder.Click click) {
      String clickKey = click.clickKey();
      if (click.code().equals("poison")) {
        throw new IiiException("DRIVER_ERROR", "poisoned click");
      }
      if (rows.contains(clickKey)) {
        return Optional.empty();
      }
      rows.add(clickKey);
      return Optional.of(String.valueOf(ids.incrementAndGet()));
    }
  }

  private static CompletableFuture<Optional<String>> record(ClickRecorder recorder, String code, String key) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return recorder.record(new ClickRecorder.Click(code, "2026-12-04T00:00:00Z", key, Visit.UNKNOWN));
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        },
        r -> Thread.ofVirtual().start(r));
  }

  @Test
  void clicksThatArriveTogetherShareOneTransactionAndAPoisonedOneFailsAlone() throws Exception {
    FakeStore store = new FakeStore();
    try (ClickRecorder recorder = new ClickRecorder(store)) {
      CompletableFuture<Optional<String>> first = record(recorder, "a", "k0");
      assertThat(store.firstBatchStarted.await(10, TimeUnit.SECONDS)).isTrue();
      // while the first batch is being written, twenty clicks gather, one of them poisoned
      List<CompletableFuture<Optional<String>>> more = new ArrayList<>();
      for (int i = 1; i <= 20; i++) {
        more.add(record(recorder, i == 7 ? "poison" : "a", "k" + i));
      }
      Thread.sleep(200); // let all twenty reach the recorder's queue (no outcome depends on it)
      store.release.countDown();

      assertThat(first.get(10, TimeUnit.SECONDS)).isPresent();
      for (int i = 1; i <= 20; i++) {
        CompletableFuture<Optional<String>> outcome = more.get(i - 1);
        if (i == 7) {
          assertThatThrownBy(() -> outcome.get(10, TimeUnit.SECONDS))
              .isInstanceOf(ExecutionException.class)
              .hasMessageContaining("poisoned click");
        } else {
          assertThat(outcome.get(10, TimeUnit.SECONDS)).as("click %d", i).isPresent();
        }
      }
      assertThat(store.rows).hasSize(20).doesNotContain("k7");
      assertThat(store.batchSizes).as("one batch for the first click, one for the twenty").containsExactly(1, 20);
    }
  }

  @Test
  void aClickRecordedBeforeComesBackEmpty() throws Exception {
    FakeStore store = new FakeStore();
    store.release.countDown();
    try (ClickRecorder recorder = new ClickRecorder(store)) {
      assertThat(recorder.record(new ClickRecorder.Click("a", "t", "same", Visit.UNKNOWN))).isPresent();
      assertThat(recorder.record(new ClickRecorder.Click("a", "t", "same", Visit.UNKNOWN))).isEmpty();
    }
  }
}
