package io.linkly.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./linkly} on a data directory whose queue and stream journals are 0 bytes, as a crash right
 * after they were created leaves them: Linkly starts, and says so once for each file.
 */
class LinklyEmptyJournalsTest {

  @TempDir Path data;
  @TempDir Path workDir;

  @Test
  void emptyJournalsAreWarnedAboutByNameAndLinklyStarts() throws Exception {
    Path queueJournal = Files.createFile(Files.createDirectories(data.resolve("queue")).resolve("queue.journal"));
    Path streamJournal = Files.createFile(Files.createDirectories(data.resolve("stream_store")).resolve("journal-1.log"));

    try (ChildProcess linkly = ChildProcess.java(Linkly.class, List.of(), LinklyFixture.env(data), workDir)) {
      linkly.await(Pattern.compile("Linkly is up"), Duration.ofSeconds(60));

      for (Path journal : List.of(queueJournal, streamJournal)) {
        assertThat(linkly.transcript().lines().filter(line -> line.contains(journal + ": empty (0 bytes)")))
            .as(linkly.transcript())
            .singleElement()
            .satisfies(line -> assertThat(line).contains(" WARN "));
      }
    }
  }
}
