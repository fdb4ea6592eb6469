package io.linkly.iii.engine.workers.state.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.testing.FailingDisk;
import io.linkly.iii.engine.updates.UpdateOpReader;
import io.linkly.iii.protocol.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The durable store on its own: restart, compaction, torn writes, corruption, concurrency. */
class FileStateStoreTest {

  @TempDir Path dir;
  private ExecutorService executor;
  private final List<FileStateStore> open = new ArrayList<>();
  private ListAppender<ILoggingEvent> journalLog;

  @BeforeEach
  void setUp() {
    executor = Executors.newVirtualThreadPerTaskExecutor();
    journalLog = new ListAppender<>();
    journalLog.start();
    ((Logger) LoggerFactory.getLogger(Journal.class)).addAppender(journalLog);
  }

  @AfterEach
  void tearDown() {
    open.forEach(FileStateStore::close);
    ((Logger) LoggerFactory.getLogger(Journal.class)).detachAppender(journalLog);
    executor.shutdownNow();
  }

  private FileStateStore store(long compactionMinBytes) throws StateStoreException {
    FileStateStore store =
        FileStateStore.open(dir, FileStateStore.Options.defaults(100).withCompactionMinBytes(compactionMinBytes), executor);
    open.add(store);
    return store;
  }

  private FileStateStore store() throws StateStoreException {
    return store(1L << 40); // never compacts
  }

  private void close(FileStateStore store) {
    store.close();
    open.remove(store);
  }

  private static JsonNode json(String text) {
    try {
      return Json.mapper().readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static String list(StateStore store, String scope) throws StateStoreException {
    return Json.write(Json.mapper().valueToTree(store.list(scope)));
  }

  private Path onlyJournal() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> journals = files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
      assertThat(journals).hasSize(1);
      return journals.getFirst();
    }
  }

  private List<String> fileNames() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static void appendBytes(Path file, byte[] bytes) throws IOException {
    Files.write(file, bytes, StandardOpenOption.APPEND);
  }

  private static void flipByte(Path file, long offset) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, offset);
      b.put(0, (byte) (b.get(0) ^ 0x5A)).rewind();
      ch.write(b, offset);
    }
  }

  private void writeSample(FileStateStore store) throws Exception {
    for (String k : List.of("c", "a", "b", "d")) {
      store.set("letters", k, json("\"" + k + "\""));
    }
    store.set("letters", "a", json("\"a2\""));
    store.delete("letters", "b");
    store.set("letters", "b", json("\"b2\""));
    store.set("gone", "x", json("1"));
    store.delete("gone", "x");
    store.update("counters", "n", UpdateOpReader.read(json("[{\"type\":\"increment\",\"path\":\"hits\",\"by\":5}]")));
    store.set("nulls", "n", json("null"));
    store.set("unicode", "ключ", json("{\"emoji\":\"🎉\",\"big\":18446744073709551615,\"f\":1.5}"));
  }

  private void assertSample(StateStore store) throws Exception {
    assertThat(list(store, "letters")).isEqualTo("[\"c\",\"a2\",\"d\",\"b2\"]");
    assertThat(store.get("counters", "n")).isEqualTo(json("{\"hits\":5}"));
    assertThat(store.get("nulls", "n").isNull()).as("a stored null is a value").isTrue();
    assertThat(Json.write(store.get("unicode", "ключ"))).isEqualTo("{\"emoji\":\"🎉\",\"big\":18446744073709551615,\"f\":1.5}");
    assertThat(store.get("gone", "x")).isNull();
    assertThat(store.listGroups()).as("a scope emptied before the restart is not restored")
        .contains("letters", "counters", "nulls", "unicode")
        .doesNotContain("gone");
  }

  @Test
  void aDiskErrorFailsTheWritesItHitAndTheStoreHealsWithoutARestart() throws Exception {
    FailingDisk disk = new FailingDisk();
    FileStateStore store = FileStateStore.open(dir, FileStateStore.Options.defaults(100).withChannels(disk), executor);
    open.add(store);
    store.set("s", "before", json("1"));
    disk.fail();
    assertThatThrownBy(() -> store.set("s", "lost", json("2"))).isInstanceOf(StateStoreException.class).hasMessageContaining("No space left");
    assertThat(store.health().reason()).contains("No space left");
    assertThat(store.health().status()).isEqualTo(Health.Status.FAILING);
    assertThatThrownBy(() -> store.set("s", "refused", json("3"))).as("refused at once while the disk rests")
        .isInstanceOf(StateStoreException.class);
    assertThat(store.get("s", "lost")).as("a failed write is not visible").isNull();
    disk.heal();
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> store.set("s", "after", json("4")) != null);
    assertThat(store.health().reason()).isNull();
    assertThat(store.health()).isEqualTo(Health.ok());
    close(store);
    assertThat(list(store(), "s")).as("what was refused never comes back").isEqualTo("[1,4]");
  }

  @Test
  void aRestartKeepsEveryWriteAndTheInsertionOrder() throws Exception {
    FileStateStore first = store();
    writeSample(first);
    assertThat(first.listGroups()).contains("gone");
    close(first);
    FileStateStore second = store();
    assertSample(second);
    second.set("letters", "e", json("\"e\""));
    close(second);
    assertThat(list(store(), "letters")).isEqualTo("[\"c\",\"a2\",\"d\",\"b2\",\"e\"]");
  }

  @Test
  void compactionWritesASnapshotAndDropsWhatItCovers() throws Exception {
    FileStateStore store = store(1);
    writeSample(store);
    await().until(() -> fileNames().stream().anyMatch(n -> n.endsWith(".snap")));
    for (int i = 0; i < 50; i++) {
      store.set("bulk", "k" + i, json(String.valueOf(i)));
    }
    await().until(() -> fileNames().stream().filter(n -> n.endsWith(".log")).count() == 1
        && fileNames().stream().filter(n -> n.endsWith(".snap")).count() == 1);
    close(store);
    assertThat(fileNames()).noneMatch(n -> n.endsWith(".tmp"));
    FileStateStore reopened = store();
    assertSample(reopened);
    assertThat(reopened.list("bulk")).hasSize(50);
    assertThat(reopened.get("bulk", "k49")).isEqualTo(json("49"));
  }

  @Test
  void leftoversOfAnInterruptedCompactionAreCleanedUp() throws Exception {
    FileStateStore store = store(1);
    writeSample(store);
    await().until(() -> fileNames().stream().anyMatch(n -> n.endsWith(".snap")));
    close(store);
    String snapshot = fileNames().stream().filter(n -> n.endsWith(".snap")).findFirst().orElseThrow();
    Files.write(dir.resolve(snapshot + ".tmp"), new byte[] {1, 2, 3});
    // a journal the snapshot already covers, as if the crash came before its deletion
    Files.write(dir.resolve("journal-0000000000000000.log"), new byte[] {9, 9, 9});
    assertSample(store());
    assertThat(fileNames()).noneMatch(n -> n.endsWith(".tmp")).doesNotContain("journal-0000000000000000.log");
  }

  @Test
  void aTornLastWriteIsTruncatedAndReported() throws Exception {
    FileStateStore store = store();
    writeSample(store);
    close(store);
    Path journal = onlyJournal();
    long goodSize = Files.size(journal);

    // a frame whose header made it to disk but whose payload did not
    ByteBuffer header = ByteBuffer.allocate(12).putInt(100).putInt(0);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(header.array(), 0, 8);
    header.putInt((int) crc.getValue());
    appendBytes(journal, header.array());
    appendBytes(journal, new byte[] {1, 2, 3, 4, 5});

    FileStateStore reopened = store();
    assertSample(reopened);
    assertThat(Files.size(journal)).isEqualTo(goodSize);
    assertThat(journalLog.list).anySatisfy(e -> {
      assertThat(e.getLevel().toString()).isEqualTo("WARN");
      assertThat(e.getFormattedMessage()).contains(journal.toString()).contains("offset " + goodSize).contains("truncated");
    });

    reopened.set("after", "k", json("true"));
    close(reopened);
    FileStateStore again = store();
    assertSample(again);
    assertThat(again.get("after", "k")).isEqualTo(json("true"));
  }

  @Test
  void otherShapesOfATornTailAreTruncatedToo() throws Exception {
    FileStateStore store = store();
    writeSample(store);
    close(store);
    Path journal = onlyJournal();
    long goodSize = Files.size(journal);
    for (byte[] tail : List.of(new byte[] {0, 0, 0, 40, 7}, new byte[4096])) {
      appendBytes(journal, tail);
      FileStateStore reopened = store();
      assertSample(reopened);
      close(reopened);
      assertThat(Files.size(journal)).isEqualTo(goodSize);
    }
  }

  @Test
  void corruptionBeforeTheTailFailsTheStartAndNamesTheFile() throws Exception {
    FileStateStore store = store();
    writeSample(store);
    close(store);
    Path journal = onlyJournal();
    long size = Files.size(journal);
    flipByte(journal, Journal.HEADER_BYTES + Journal.FRAME_HEADER_BYTES + 3); // inside the first write

    assertThatThrownBy(this::store)
        .isInstanceOf(StateStoreException.class)
        .hasMessageContaining(journal.toString())
        .hasMessageContaining("corrupt at offset " + Journal.HEADER_BYTES)
        .hasMessageContaining("refusing to start");
    assertThat(Files.size(journal)).as("nothing was truncated").isEqualTo(size);

    flipByte(journal, Journal.HEADER_BYTES + Journal.FRAME_HEADER_BYTES + 3);
    flipByte(journal, Journal.HEADER_BYTES + 1); // a frame length
    assertThatThrownBy(this::store).hasMessageContaining("frame header checksum mismatch");
  }

  @Test
  void anUnreadableSnapshotFailsTheStartAndNamesTheFile() throws Exception {
    FileStateStore store = store(1);
    writeSample(store);
    await().until(() -> fileNames().stream().anyMatch(n -> n.endsWith(".snap")));
    close(store);
    Path snapshot = dir.resolve(fileNames().stream().filter(n -> n.endsWith(".snap")).findFirst().orElseThrow());
    flipByte(snapshot, Snapshot.MAGIC.length + 6);
    assertThatThrownBy(this::store)
        .isInstanceOf(StateStoreException.class)
        .hasMessageContaining(snapshot.toString())
        .hasMessageContaining("corrupt");

    try (FileChannel ch = FileChannel.open(snapshot, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 1);
    }
    assertThatThrownBy(this::store).hasMessageContaining(snapshot.toString());
  }

  @Test
  void aMissingJournalFailsTheStart() throws Exception {
    FileStateStore store = store(1);
    writeSample(store);
    await().until(() -> fileNames().stream().anyMatch(n -> n.endsWith(".snap")));
    close(store);
    for (String name : fileNames()) {
      if (name.endsWith(".snap")) {
        Files.delete(dir.resolve(name));
      }
    }
    assertThatThrownBy(this::store).hasMessageContaining("is missing journal-0000000000000001.log");
  }

  @Test
  void aDirectoryServesOneStoreAtATime() throws Exception {
    FileStateStore first = store();
    assertThatThrownBy(this::store).hasMessageContaining("in use by another engine");
    close(first);
    store();
  }

  @Test
  void writesAfterCloseAreRefused() throws Exception {
    FileStateStore store = store();
    close(store);
    assertThatThrownBy(() -> store.set("s", "k", json("1"))).hasMessage("state store is closed");
  }

  // A writer waits for its record without a timeout: the journal thread must answer every record
  // it was handed, also those still queued when it stops.
  @Test
  void everyWriteRacingCloseIsEitherKeptOrRefusedNoneWaits() throws Exception {
    FileStateStore store = store();
    int writers = 16;
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(writers);
    java.util.concurrent.atomic.AtomicInteger written = new java.util.concurrent.atomic.AtomicInteger();
    List<Throwable> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Thread> running = new ArrayList<>();
    for (int t = 0; t < writers; t++) {
      int id = t;
      running.add(Thread.ofVirtual().start(() -> {
        started.countDown();
        for (int i = 0; ; i++) {
          try {
            store.set("w" + id, "k" + i, json(String.valueOf(i)));
            written.incrementAndGet();
          } catch (StateStoreException e) {
            if (!"state store is closed".equals(e.getMessage())) {
              unexpected.add(e);
            }
            return; // refused: the store is closed
          }
        }
      }));
    }
    started.await();
    Thread.sleep(50);
    close(store);
    for (Thread t : running) {
      assertThat(t.join(java.time.Duration.ofSeconds(10))).as("a writer still waits after close()").isTrue();
    }
    assertThat(unexpected).isEmpty();
    FileStateStore reopened = store();
    int kept = 0;
    for (int t = 0; t < writers; t++) {
      kept += reopened.list("w" + t).size();
    }
    assertThat(kept).isEqualTo(written.get()); // every acknowledged write is on disk
  }

  // That concurrent writers share forces is counted, with forces held, in StateStoreForcesTest.
  @Test
  void concurrentWritersNeverLoseAnUpdate() throws Exception {
    FileStateStore store = store(4096); // compacts now and then while the writers run
    int threads = 8;
    int each = 150;
    List<Thread> running = new ArrayList<>();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    var increment = UpdateOpReader.read(json("[{\"type\":\"increment\",\"path\":\"n\",\"by\":1}]"));
    for (int t = 0; t < threads; t++) {
      int id = t;
      running.add(Thread.ofVirtual().start(() -> {
        try {
          for (int i = 0; i < each; i++) {
            store.update("shared", "counter", increment);
            store.set("own-" + id, "k" + i, json(String.valueOf(i)));
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      }));
    }
    for (Thread t : running) {
      t.join();
    }
    assertThat(failures).isEmpty();
    assertThat(store.get("shared", "counter").get("n").asInt()).isEqualTo(threads * each);
    close(store);
    FileStateStore reopened = store();
    assertThat(reopened.get("shared", "counter").get("n").asInt()).isEqualTo(threads * each);
    for (int t = 0; t < threads; t++) {
      assertThat(reopened.list("own-" + t)).hasSize(each);
    }
  }
}
