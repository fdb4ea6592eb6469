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
import java.util.List;
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
    return spec("q", retry);
  }

  private static QueueSpec spec(String name, Retry retry) {
    return new QueueSpec(QueueSpec.namedKey(name), null, false, 4, retry, null);
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
      assertThat(queue.health().reason()).contains("No space left");
      assertThat(queue.health().status()).isEqualTo(Health.Status.FAILING);
      assertThat(queue.enqueue(spec, message("refused"))).as("refused at once while the disk rests").isCompletedExceptionally();
      disk.heal();
      await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
          .until(() -> queue.enqueue(spec, message("after")).get(10, TimeUnit.SECONDS) == null);
      assertThat(queue.health().reason()).isNull();
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
    QueueSpec spec = spec(new Retry(1, 60_000)); // a failure waits a minute for its retry
    QueueSpec dying = spec("d", new Retry(0, 0)); // a failure is final
    try (BuiltinQueue queue = open(Long.MAX_VALUE)) {
      for (String id : new String[] {"ok", "retrying", "waiting"}) {
        queue.enqueue(spec, message(id)).get(10, TimeUnit.SECONDS);
      }
      queue.enqueue(dying, message("dead")).get(10, TimeUnit.SECONDS);
      Set<String> seen = ConcurrentHashMap.newKeySet();
      queue.consume(spec, m -> {
        if (!seen.add(m.id() + "#" + m.attempts())) {
          return CompletableFuture.failedFuture(new IllegalStateException("seen twice"));
        }
        return switch (m.id()) {
          case "ok" -> CompletableFuture.completedFuture(null);
          case "retrying" -> CompletableFuture.failedFuture(new InvocationException("invocation_failed", "later"));
          default -> new CompletableFuture<>(); // in flight forever
        };
      });
      queue.consume(dying, m -> CompletableFuture.failedFuture(new InvocationException("invocation_failed", "once and for all")));
      await().atMost(Duration.ofSeconds(10))
          .until(() -> queue.stats(dying.name()).dlqDepth() == 1
              && queue.stats(spec.name()).equals(new QueueStats(1, 1, 0))); // "retrying" delayed, "waiting" in flight
      assertThat(seen).containsExactlyInAnyOrder("ok#0", "retrying#0", "waiting#0");
      queue.stopConsuming(spec.name());
      queue.stopConsuming(dying.name());
    }
    try (BuiltinQueue queue = open(Long.MAX_VALUE)) {
      assertThat(queue.stats(spec.name())).as("waiting (in flight before) + the delayed retry").isEqualTo(new QueueStats(2, 0, 0));
      assertThat(queue.stats(dying.name())).as("the dead letter, and nothing live").isEqualTo(new QueueStats(0, 0, 1));
      assertThat(queue.deadLetters(dying.name(), 0, 10)).singleElement().satisfies(letter -> {
        assertThat(letter.message().id()).isEqualTo("dead");
        assertThat(new String(letter.message().payload(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"dead\"}");
        assertThat(letter.attempts()).isEqualTo(1);
        assertThat(letter.error()).contains("once and for all");
      });
      QueueSpec fast = spec(new Retry(0, 0));
      Set<String> delivered = ConcurrentHashMap.newKeySet();
      queue.consume(fast, m -> {
        delivered.add(m.id() + "#" + m.attempts());
        return CompletableFuture.completedFuture(null);
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> delivered.contains("waiting#0"));
      assertThat(delivered).as("the delayed retry keeps its schedule; the acked message is gone").containsExactly("waiting#0");
      assertThat(queue.stats(spec.name()).depth()).as("the delayed retry still waits").isEqualTo(1);
    }
  }

  /** A clock that moves only when told: the queue's retry schedule read off it, exactly. */
  private static final class ManualClock extends Clock {
    private final java.util.concurrent.atomic.AtomicLong millis;

    ManualClock(long millis) {
      this.millis = new java.util.concurrent.atomic.AtomicLong(millis);
    }

    void set(long value) {
      millis.set(value);
    }

    @Override
    public long millis() {
      return millis.get();
    }

    @Override
    public java.time.Instant instant() {
      return java.time.Instant.ofEpochMilli(millis.get());
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @Test
  void aFailedMessageWaitsBackoffTimesTwoToTheNBeforeItsNextAttempt() throws Exception {
    long t0 = 1_000_000;
    ManualClock clock = new ManualClock(t0);
    QueueSpec spec = new QueueSpec(QueueSpec.namedKey("q"), null, false, 1, new Retry(5, 200), null); // one at a time
    List<String> attempts = new java.util.concurrent.CopyOnWriteArrayList<>(); // id@clock of every call
    try (BuiltinQueue queue = new BuiltinQueue(new QueueConfig.Builtin(dir, 50, 100_000, 64L << 20, 10_000), executor, clock, Long.MAX_VALUE)) {
      queue.open();
      queue.consume(spec, m -> {
        attempts.add(m.id() + "@" + (clock.millis() - t0));
        boolean fails = m.id().equals("flaky") && m.attempts() < 2;
        return fails ? CompletableFuture.failedFuture(new InvocationException("invocation_failed", "not yet")) : CompletableFuture.completedFuture(null);
      });
      queue.enqueue(spec, message("flaky")).get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> attempts.size() == 1);

      // at the due time itself the retry still waits: a later message goes first (a retry that
      // was due would be taken before it: it is older)
      clock.set(t0 + 200);
      queue.enqueue(spec, message("marker-1")).get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> attempts.contains("marker-1@200"));
      clock.set(t0 + 201);
      await().atMost(Duration.ofSeconds(10)).until(() -> attempts.size() == 3);

      // the second wait is twice the first, counted from the second failure
      clock.set(t0 + 201 + 400);
      queue.enqueue(spec, message("marker-2")).get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> attempts.contains("marker-2@601"));
      clock.set(t0 + 201 + 401);
      await().atMost(Duration.ofSeconds(10)).until(() -> attempts.size() == 5);
      await().atMost(Duration.ofSeconds(10)).until(() -> queue.stats(spec.name()).equals(new QueueStats(0, 0, 0)));
    }
    assertThat(attempts).containsExactly("flaky@0", "marker-1@200", "flaky@201", "marker-2@601", "flaky@602");
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
