package io.linkly.iii.engine.workers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.LogCapture;
import io.linkly.iii.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 0-byte journal, what a crash right after the journal was created leaves, starts (it never held
 * an acknowledged write) but not silently: one warning names the file.
 */
class EmptyJournalTest {

  @TempDir Path dir;

  private static EngineConfig withQueueIn(Path queueDir) {
    ObjectNode block = Json.object();
    block.putObject("adapter").put("name", "builtin").putObject("config").put("file_path", queueDir.toString());
    return EngineConfig.ephemeral().with("iii-queue", block);
  }

  private static EngineConfig withStreamStoreIn(Path storeDir) {
    ObjectNode adapter = Json.object();
    adapter.put("name", "kv").putObject("config").put("store_method", "file_based").put("file_path", storeDir.toString());
    return EngineConfig.ephemeral().withSetting("iii-stream", "adapter", adapter);
  }

  @Test
  void anEmptyQueueJournalIsReportedByName() throws Exception {
    Path journal = Files.createFile(Files.createDirectories(dir.resolve("queue")).resolve("queue.journal"));
    try (LogCapture logs = new LogCapture(); IiiEngine engine = IiiEngine.start(withQueueIn(dir.resolve("queue")))) {
      assertThat(logs.containing(journal + ": empty (0 bytes)")).hasSize(1);
    }
  }

  @Test
  void aNewQueueJournalIsNotReported() throws Exception {
    try (LogCapture logs = new LogCapture(); IiiEngine engine = IiiEngine.start(withQueueIn(dir.resolve("queue")))) {
      assertThat(logs.containing("empty (0 bytes)")).isEmpty();
    }
  }

  @Test
  void anEmptyStreamJournalIsReportedByName() throws Exception {
    Path journal = Files.createFile(Files.createDirectories(dir.resolve("stream_store")).resolve("journal-1.log"));
    try (LogCapture logs = new LogCapture(); IiiEngine engine = IiiEngine.start(withStreamStoreIn(dir.resolve("stream_store")))) {
      assertThat(logs.containing(journal + ": empty (0 bytes)")).hasSize(1);
    }
  }

  @Test
  void aNewStreamStoreIsNotReported() throws Exception {
    try (LogCapture logs = new LogCapture(); IiiEngine engine = IiiEngine.start(withStreamStoreIn(dir.resolve("stream_store")))) {
      assertThat(logs.containing("empty (0 bytes)")).isEmpty();
    }
  }
}
