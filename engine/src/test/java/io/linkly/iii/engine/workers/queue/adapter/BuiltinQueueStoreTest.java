package io.linkly.iii.engine.workers.queue.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.testing.FailingDisk;
import io.linkly.iii.engine.workers.queue.QueueConfig;
import io.linkly.iii.engine.workers.queue.Retry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The builtin store below the worker: replay of every state, compaction under load, duplicates. */
class BuiltinQueueStoreTest {

  @TempDir Path dir;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  private BuiltinQueue open(long compactAt) throws Exception {
    BuiltinQueue queue =
        new BuiltinQueue(new QueueConfig.Builtin(dir, 50, 100_000, 64L << 20, 10_000), executor, Clock.systemUTC(), compactAt);
    queue.open();
    return queue;
  }

  private static QueueSpec spec(Retry retry) {
    return new QueueSpec(QueueSpec.namedKey("q"), null, false, 4, retry, null);
  }

  private static QueueMessage message(String id) {
    return new QueueMessage(id, "fn", ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8), null, null, null, null, 1, 0);
  }

  @Test
  void aDiskErrorRefusesMessagesWithoutNamingTheFileAndTheQueueHealsWithoutARestart() throws Exception {
    FailingDisk disk = new FailingDisk();
    QueueSpec spec = spec(new Retry(0, 0));
    QueueConfig.Builtin config = new QueueConfig.Builtin(dir, 50, 100_000, 64L << 20, 10_000);
    try (BuiltinQueue queue = new BuiltinQueue(config, executor, Clock.systemUTC(), Long.MAX_VALUE, disk)) {
      queue.open();
      queue.enqueue(spec, message("before")).get(10, TimeUnit.SECONDS);
      disk.fail();
      assertThat(queue.enqueue(spec, message("lost"))).failsWithin(Duration.ofSeconds(10))
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .satisfies(e -> assertThat(e.getCause().getMessage()).contains("No space left").doesNotContain(dir.toString()));
      assertThat(queue.writeFailure()).contains("No space left");
      assertThat(queue.health().status()).isEqualTo(Health.Status.FAILING);
      assertThat(queue.enqueue(spec, message("refused"))).as("refused at once while the disk rests").isCompletedExceptionally();
      disk.heal();
      await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
          .until(() -> queue.enqueue(spec, message("after")).get(10, TimeUnit.SECONDS) == null);
      assertThat(queue.writeFailure()).isNull();
      assertThat(queue.health()).isEqualTo(Health.ok());
      assertThat(queue.stats(spec.name()).depth()).isEqualTo(2);
    }
    try (BuiltinQueue queue = open(Long.MAX_VALUE)) {
      Set<String> delivered = ConcurrentHashMap.newKeySet();
      queue.consume(spec, m -> {
        delivered.add(m.id());
        return CompletableFuture.completedFuture(null);
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> delivered.size() == 2);
      assertThat(delivered).as("what was refused never comes back").containsExactlyInAnyOrder("before", "after");
    }
  }

  @Test
  void deadLettersHaveABoundOfTheirOwnAndNeverTakeRoomFromLiveMessages() throws Exception {
    QueueSpec spec = spec(new Retry(0, 0));
    QueueConfig.Builtin small = new QueueConfig.Builtin(dir, 50, 3, 64L << 20, 2);
    try (BuiltinQueue queue = new BuiltinQueue(small, executor, Clock.systemUTC(), Long.MAX_VALUE)) {
      queue.open();
      queue.consume(spec, m -> CompletableFuture.failedFuture(new InvocationException("invocation_failed", "poison " + m.id())));
      for (int i = 1; i <= 5; i++) { // five messages through a store of three: each dies before the next comes
        queue.enqueue(spec, message("poison-" + i)).get(10, TimeUnit.SECONDS);
        int dead = i;
        await().atMost(Duration.ofSeconds(10)).until(() -> queue.stats(spec.name()).dlqDepth() == Math.min(dead, 2) && queue.stats(spec.name()).depth() == 0);
      }
      assertThat(queue.deadLettersDropped()).isEqualTo(3);
      assertThat(queue.deadLetters(spec.name(), 0, 10)).extracting(d -> d.message().id()).containsExactly("poison-4", "poison-5");
      queue.stopConsuming(spec.name());
      for (int i = 1; i <= 3; i++) { // the live bound is whole: two dead letters take none of it
        queue.enqueue(spec, message("live-" + i)).get(10, TimeUnit.SECONDS);
      }
      assertThat(queue.enqueue(spec, message("one-too-many"))).failsWithin(Duration.ofSeconds(10));
    }
    try (BuiltinQueue queue = new BuiltinQueue(small, executor, Clock.systemUTC(), Long.MAX_VALUE)) {
      queue.open(); // the drops were journaled: the replay holds the same two dead letters and three live ones
      assertThat(queue.deadLetters(spec.name(), 0, 10)).extracting(d -> d.message().id()).containsExactly("poison-4", "poison-5");
      assertThat(queue.stats(spec.name()).depth()).isEqualTo(3);
      assertThat(queue.redrive(spec.name())).isEqualTo(2); // redriven letters are live again, even past the bound
      assertThat(queue.stats(spec.name())).isEqualTo(new QueueStats(5, 0, 0));
    }
  }

  @Test
  void readyDelayedAndDeadMessagesAreReplayedAsTheyWere() throws Exception {
    QueueSpec spec = spec(new Retry(1, 60_000));
    try (BuiltinQueue queue = open(Long.MAX_VALUE)) {
      for (String id : new String[] {"ok", "retrying", "dead", "waiting"}) {
        queue.enqueue(spec, message(id)).get(10, TimeUnit.SECONDS);
      }
      Set<String> seen = ConcurrentHashMap.newKeySet();
      queue.consume(spec, m -> {
        if (!seen.add(m.id() + "#" + m.attempts())) {
          return CompletableFuture.failedFuture(new IllegalStateException("seen twice"));
        }
        return switch (m.id()) {
          case "ok" -> CompletableFuture.completedFuture(null);
          case "retrying" -> CompletableFuture.failedFuture(new InvocationException("invocation_failed", "later"));
          case "dead" -> m.attempts() == 0 ? CompletableFuture.failedFuture(new InvocationException("invocation_failed", "once"))
              : CompletableFuture.failedFuture(new InvocationException("invocation_failed", "twice"));
          default -> new CompletableFuture<>(); // in flight forever
        };
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> queue.stats(spec.name()).dlqDepth() == 0 && seen.size() >= 4);
      queue.stopConsuming(spec.name()); // "retrying" and "dead" now wait 60 s for their retry; "waiting" is in flight
    }
    try (BuiltinQueue queue = open(Long.MAX_VALUE)) {
      QueueStats stats = queue.stats(spec.name());
      assertThat(stats.depth()).as("waiting (in flight before) + two delayed retries").isEqualTo(3);
      assertThat(stats.dlqDepth()).isZero();
      QueueSpec fast = spec(new Retry(0, 0));
      Set<String> delivered = ConcurrentHashMap.newKeySet();
      queue.consume(fast, m -> {
        delivered.add(m.id());
        return m.id().equals("waiting") ? CompletableFuture.completedFuture(null)
            : CompletableFuture.failedFuture(new InvocationException("invocation_failed", "dies"));
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> delivered.contains("waiting"));
      assertThat(delivered).as("delayed retries keep their schedule").doesNotContain("retrying", "dead");
      assertThat(delivered).doesNotContain("ok");
    }
  }

  @Test
  void compactionUnderLoadKeepsEveryLiveMessage() throws Exception {
    QueueSpec spec = spec(new Retry(0, 0));
    Set<String> handled = ConcurrentHashMap.newKeySet();
    long sizeAfter;
    try (BuiltinQueue queue = open(8 * 1024)) {
      queue.consume(spec, m -> {
        handled.add(m.id());
        return m.id().startsWith("keep") ? new CompletableFuture<>() : CompletableFuture.completedFuture(null);
      });
      for (int i = 0; i < 3; i++) {
        queue.enqueue(spec, message("keep-" + i)).get(10, TimeUnit.SECONDS);
      }
      for (int i = 0; i < 2000; i++) {
        queue.enqueue(spec, message("done-" + i)).get(10, TimeUnit.SECONDS);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> handled.size() == 2003);
      sizeAfter = Files.size(queue.journalFile());
    }
    assertThat(sizeAfter).as("compacted well below 2003 messages' worth").isLessThan(64 * 1024);
    Set<String> redelivered = ConcurrentHashMap.newKeySet();
    try (BuiltinQueue queue = open(8 * 1024)) {
      queue.consume(spec, m -> {
        redelivered.add(m.id());
        return CompletableFuture.completedFuture(null);
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> redelivered.size() >= 3);
      Thread.sleep(300);
      assertThat(redelivered).as("only the unacked ones come back").containsExactlyInAnyOrder("keep-0", "keep-1", "keep-2");
    }
  }

  @Test
  void theSameMessageIdIsStoredOnce() throws Exception {
    QueueSpec spec = spec(Retry.DEFAULTS);
    try (BuiltinQueue queue = open(Long.MAX_VALUE)) {
      CompletableFuture<Void> first = queue.enqueue(spec, message("same"));
      CompletableFuture<Void> second = queue.enqueue(spec, message("same"));
      first.get(10, TimeUnit.SECONDS);
      second.get(10, TimeUnit.SECONDS);
      queue.enqueue(spec, message("same")).get(10, TimeUnit.SECONDS);
      assertThat(queue.stats(spec.name()).depth()).isEqualTo(1);
    }
  }
}
