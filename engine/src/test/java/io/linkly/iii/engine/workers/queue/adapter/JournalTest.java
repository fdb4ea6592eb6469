package io.linkly.iii.engine.workers.queue.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.workers.FileChannels;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal's file format: replay, torn tails, corruption, compaction. */
class JournalTest {

  @TempDir Path dir;
  private static JournalRecord.Put put(String id, int n) {
    QueueMessage m =
        new QueueMessage(id, "fn", ("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8), null, null, null, null, 1000L + n, 0);
    return new JournalRecord.Put("q", null, m, n, JournalRecord.State.READY, 0, null, 0, 0);
  }

  private List<JournalRecord> writeAndReopen(List<JournalRecord> records) throws Exception {
    Journal journal = Journal.open(dir, 64, 1000, Long.MAX_VALUE, r -> {}, FileChannels.DEFAULT);
    journal.start(sink -> {}, () -> 0);
    CompletableFuture<Void> last = null;
    for (JournalRecord r : records) {
      last = journal.submit(r, true, null);
    }
    last.get(10, TimeUnit.SECONDS);
    journal.close();
    return replay();
  }

  private List<JournalRecord> replay() throws IOException {
    List<JournalRecord> seen = new ArrayList<>();
    Journal.open(dir, 64, 1000, Long.MAX_VALUE, seen::add, FileChannels.DEFAULT).close();
    return seen;
  }

  private Path file() {
    return dir.resolve(Journal.FILE);
  }

  @Test
  void everyRecordKindSurvivesAReopen() throws Exception {
    List<JournalRecord> records =
        List.of(
            put("a", 1),
            new JournalRecord.Retry("q", "a", 1, 1, 5000, "boom"),
            new JournalRecord.Dead("q", "a", 2, 2, 6000, "still boom"),
            new JournalRecord.Redrive("q", "a", 3, 99),
            new JournalRecord.Ack("q", "a", 4),
            put("b", 2),
            new JournalRecord.Discard("q", "b", 1));

    List<JournalRecord> replayed = writeAndReopen(records);

    assertThat(replayed).hasSize(records.size());
    assertThat(replayed.get(1)).isEqualTo(records.get(1));
    assertThat(replayed.get(4)).isEqualTo(records.get(4));
    JournalRecord.Put p = (JournalRecord.Put) replayed.get(0);
    assertThat(p.message().id()).isEqualTo("a");
    assertThat(new String(p.message().payload(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":1}");
    assertThat(p.message().createdAtMs()).isEqualTo(1001L);
  }

  /** The journal's size after the first two records; the third is written in a frame of its own. */
  private long afterTwo;

  private long writeThree() throws Exception {
    writeAndReopen(List.of(put("a", 1), put("b", 2)));
    afterTwo = Files.size(file());
    writeAndReopen(List.of(put("c", 3)));
    return Files.size(file());
  }

  @Test
  void aPartialFrameHeaderAtTheEndIsTruncated() throws Exception {
    long intact = writeThree();
    Files.write(file(), new byte[] {0, 0, 1}, java.nio.file.StandardOpenOption.APPEND);

    assertThat(replay()).hasSize(3);
    assertThat(Files.size(file())).isEqualTo(intact);
  }

  @Test
  void aFrameRunningPastTheEndIsTruncated() throws Exception {
    long intact = writeThree();
    try (RandomAccessFile f = new RandomAccessFile(file().toFile(), "rw")) {
      f.setLength(intact - 5); // the last frame lost its end
    }

    assertThat(replay()).hasSize(2);
    assertThat(Files.size(file())).as("cut back to the end of the last whole frame").isEqualTo(afterTwo);
    assertThat(replay()).as("and stays truncated").hasSize(2);
  }

  @Test
  void aBadChecksumInTheLastFrameIsATornTail() throws Exception {
    long intact = writeThree();
    try (RandomAccessFile f = new RandomAccessFile(file().toFile(), "rw")) {
      f.seek(intact - 2);
      f.write(f.read() ^ 0xFF);
    }

    assertThat(replay()).hasSize(2);
    assertThat(Files.size(file())).as("the torn frame is cut off").isEqualTo(afterTwo);
  }

  @Test
  void aZeroFilledTailIsATornTail() throws Exception {
    long intact = writeThree();
    Files.write(file(), new byte[4096], java.nio.file.StandardOpenOption.APPEND);

    assertThat(replay()).hasSize(3);
    assertThat(Files.size(file())).isEqualTo(intact);
  }

  @Test
  void aBadFrameWithValidFramesAfterItIsCorruption() throws Exception {
    writeThree();
    try (RandomAccessFile f = new RandomAccessFile(file().toFile(), "rw")) {
      f.seek(8 + 8 + 3); // inside the first record's body
      int b = f.read();
      f.seek(8 + 8 + 3);
      f.write(b ^ 0x01);
    }

    assertThatThrownBy(this::replay)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is corrupt at byte 8")
        .hasMessageContaining("valid data follows");
  }

  @Test
  void aFileThatIsNotAJournalIsRefused() throws Exception {
    Files.writeString(file(), "hello, this is not a journal");

    assertThatThrownBy(this::replay).hasMessageContaining("not a queue journal");
  }

  @Test
  void compactionKeepsOnlyTheSnapshot() throws Exception {
    Journal journal = Journal.open(dir, 64, 1000, Long.MAX_VALUE, r -> {}, FileChannels.DEFAULT);
    List<JournalRecord.Put> live = List.of(put("kept", 7));
    journal.start(sink -> live.forEach(sink), () -> 0);
    CompletableFuture<Void> last = null;
    for (int i = 0; i < 50; i++) {
      last = journal.submit(put("m" + i, i), true, null);
    }
    last.get(10, TimeUnit.SECONDS);
    long before = Files.size(file());
    CompletableFuture<Void> compacted = new CompletableFuture<>();
    // compaction runs on the writer: ask for it through a record's afterWrite
    journal.submit(new JournalRecord.Ack("q", "m0", 1), true, () -> {
      try {
        journal.compact();
        compacted.complete(null);
      } catch (IOException e) {
        compacted.completeExceptionally(e);
      }
    });
    compacted.get(10, TimeUnit.SECONDS);
    journal.submit(put("after", 100), true, null).get(10, TimeUnit.SECONDS);
    journal.close();

    assertThat(Files.size(file())).isLessThan(before);
    List<JournalRecord> replayed = replay();
    assertThat(replayed).extracting(JournalRecord::id).containsExactly("kept", "after");
  }
}
