package io.linkly.iii.engine.workers.queue.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.linkly.iii.engine.testing.CountingDisk;
import io.linkly.iii.engine.workers.queue.QueueConfig;
import io.linkly.iii.engine.workers.queue.Retry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's promise, seen through a disk that counts and holds fsyncs: an enqueue is
 * acknowledged only after the force that covers it, and writers that arrive together share a force.
 */
class QueueJournalForcesTest {

  @TempDir Path dir;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final CountingDisk disk = new CountingDisk();

  @AfterEach
  void stop() {
    disk.release();
    executor.shutdownNow();
  }

  /** Closing waits for the journal, so a held force is released first (matters when a test fails). */
  private AutoCloseable releasing(BuiltinQueue queue) {
    return () -> {
      disk.release();
      queue.close();
    };
  }

  private BuiltinQueue open() throws Exception {
    // a save interval far beyond the test, so only a durable write can cause a force
    QueueConfig.Builtin config = new QueueConfig.Builtin(dir, 3_600_000, 100_000, 64L << 20, 10_000);
    BuiltinQueue queue = new BuiltinQueue(config, executor, Clock.systemUTC(), Long.MAX_VALUE, disk);
    queue.open();
    return queue;
  }

  private static final QueueSpec SPEC = new QueueSpec(QueueSpec.namedKey("q"), null, false, 1, new Retry(0, 0), null);

  private static QueueMessage message(String id) {
    return new QueueMessage(id, "fn", ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8), null, null, null, null, 1, 0);
  }

  @Test
  void anEnqueueIsAcknowledgedOnlyAfterItsForceReturns() throws Exception {
    BuiltinQueue queue = open();
    try (AutoCloseable closing = releasing(queue)) {
      queue.enqueue(SPEC, message("warm-up")).get(10, TimeUnit.SECONDS);
      int before = disk.forces();
      disk.hold();
      CompletableFuture<Void> ack = queue.enqueue(SPEC, message("m1"));
      await().atMost(Duration.ofSeconds(10)).until(() -> disk.held() == 1);
      assertThat(ack).as("acknowledged while its force is still on the way").isNotDone();
      assertThat(queue.stats(SPEC.name()).depth()).as("visible to consumers before it is durable").isEqualTo(1);
      disk.release();
      ack.get(10, TimeUnit.SECONDS);
      assertThat(disk.forces()).isEqualTo(before + 1);
      assertThat(queue.stats(SPEC.name()).depth()).isEqualTo(2);
    }
  }

  @Test
  void concurrentEnqueuesShareForces() throws Exception {
    int writers = 200;
    BuiltinQueue queue = open();
    try (AutoCloseable closing = releasing(queue)) {
      queue.enqueue(SPEC, message("warm-up")).get(10, TimeUnit.SECONDS);
      int before = disk.forces();
      disk.hold();
      List<CompletableFuture<Void>> acks = new ArrayList<>();
      acks.add(queue.enqueue(SPEC, message("first")));
      // the first batch's force is held: every writer after it waits for the journal thread
      await().atMost(Duration.ofSeconds(10)).until(() -> disk.held() == 1);
      List<CompletableFuture<CompletableFuture<Void>>> started = new ArrayList<>();
      for (int i = 0; i < writers - 1; i++) {
        String id = "m" + i;
        started.add(CompletableFuture.supplyAsync(() -> queue.enqueue(SPEC, message(id)), executor));
      }
      for (CompletableFuture<CompletableFuture<Void>> s : started) {
        acks.add(s.get(10, TimeUnit.SECONDS));
      }
      assertThat(acks).as("acknowledged before any force returned").noneMatch(CompletableFuture::isDone);
      disk.release();
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      int forces = disk.forces() - before;
      assertThat(forces).as("forces for %d concurrent enqueues", writers).isBetween(1, 2);
      assertThat(queue.stats(SPEC.name()).depth()).isEqualTo(writers + 1);
    }
  }
}
