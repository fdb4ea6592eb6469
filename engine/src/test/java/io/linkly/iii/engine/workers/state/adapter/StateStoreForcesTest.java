package io.linkly.iii.engine.workers.state.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.linkly.iii.engine.testing.CountingDisk;
import io.linkly.iii.protocol.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state store's promise, seen through a disk that counts and holds fsyncs: a write returns (and
 * is readable) only after the force that covers it, and concurrent writers share forces.
 */
class StateStoreForcesTest {

  @TempDir Path dir;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final CountingDisk disk = new CountingDisk();
  private FileStateStore store;

  @AfterEach
  void stop() {
    disk.release();
    if (store != null) {
      store.close();
    }
    executor.shutdownNow();
  }

  private FileStateStore open() throws StateStoreException {
    store = FileStateStore.open(
        dir, FileStateStore.Options.defaults(3_600_000).withCompactionMinBytes(1L << 40).withChannels(disk), executor);
    return store;
  }

  private CompletableFuture<Void> set(String key) {
    return set(key, new CountDownLatch(1));
  }

  /** Writes on a thread of its own; {@code started} counts down just before the write. */
  private CompletableFuture<Void> set(String key, CountDownLatch started) {
    return CompletableFuture.runAsync(
        () -> {
          started.countDown();
          try {
            store.set("s", key, Json.mapper().getNodeFactory().textNode(key));
          } catch (StateStoreException e) {
            throw new IllegalStateException(e);
          }
        },
        executor);
  }

  @Test
  void aWriteReturnsAndBecomesVisibleOnlyAfterItsForceReturns() throws Exception {
    open();
    set("warm-up").get(10, TimeUnit.SECONDS);
    int before = disk.forces();
    disk.hold();
    CompletableFuture<Void> ack = set("k");
    await().atMost(Duration.ofSeconds(10)).until(() -> disk.held() == 1);
    assertThat(ack).as("acknowledged while its force is still on the way").isNotDone();
    assertThat(store.get("s", "k")).as("readable before it is durable").isNull();
    disk.release();
    ack.get(10, TimeUnit.SECONDS);
    assertThat(disk.forces()).isEqualTo(before + 1);
    assertThat(store.get("s", "k").asText()).isEqualTo("k");
  }

  @Test
  void concurrentWritersShareForces() throws Exception {
    int writers = 200;
    open();
    set("warm-up").get(10, TimeUnit.SECONDS);
    int before = disk.forces();
    disk.hold();
    List<CompletableFuture<Void>> acks = new ArrayList<>();
    acks.add(set("first"));
    // the first batch's force is held: every writer after it queues for the journal thread
    await().atMost(Duration.ofSeconds(10)).until(() -> disk.held() == 1);
    CountDownLatch started = new CountDownLatch(writers - 1);
    for (int i = 0; i < writers - 1; i++) {
      acks.add(set("k" + i, started));
    }
    // every writer is at its write before the held force returns, so the next batch can take them all
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(acks).as("acknowledged before any force returned").noneMatch(CompletableFuture::isDone);
    disk.release();
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    int forces = disk.forces() - before;
    // a writer between its start and the journal's queue when the force returns may make a batch
    // of its own; with one force per write there would be 200
    assertThat(forces).as("forces for %d concurrent writers", writers).isLessThanOrEqualTo(writers / 10);
    assertThat(store.list("s")).hasSize(writers + 1);
  }
}
