package io.linkly.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Two README promises of the {@code linkly} process: Ctrl-C (SIGINT, or SIGTERM from a service
 * manager) stops it cleanly, and {@code LINKLY_DATA} is where all of its data goes.
 */
class LinklyStopAndDataTest {

  private static final Pattern HTTP_PORT = Pattern.compile("iii-http listening on http://127\\.0\\.0\\.1:(\\d+)");
  private static final Duration START = Duration.ofSeconds(60);
  private static final Pattern PROBLEM = Pattern.compile("^\\d{2}:\\d{2}:\\d{2}\\.\\d{3} (WARN |ERROR) ");

  @TempDir Path data;
  @TempDir Path workDir;

  /**
   * A clean stop runs the shutdown: the engine and every worker close, so SQLite checkpoints its
   * write-ahead log into the database and removes it ({@code iii.db-wal} is left behind by a kill
   * -9), nothing logs a warning or an error, and the next start finds the link.
   */
  @ParameterizedTest
  @CsvSource({"INT, 130", "TERM, 143"})
  void aSignalStopsLinklyCleanlyAndItsDataIsWhereLinklyDataSays(String signal, int exitCode) throws Exception {
    String code;
    try (ChildProcess linkly = ChildProcess.java(Linkly.class, List.of(), LinklyFixture.env(data), workDir)) {
      String http = "http://127.0.0.1:" + linkly.await(HTTP_PORT, START);
      linkly.await(Pattern.compile("Linkly is up"), START);
      HttpResponse<String> created = LinklyFixture.post(http + "/links", "{\"url\":\"https://example.com/a\"}");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      code = LinklyFixture.json(created.body()).get("code").asText();
      assertThat(Files.exists(data.resolve("iii.db-wal"))).as("WAL in use while running").isTrue();

      linkly.signal(signal);

      assertThat(linkly.waitFor(Duration.ofSeconds(30))).as(linkly.transcript()).isEqualTo(exitCode);
      assertThat(linkly.transcript().lines().filter(l -> PROBLEM.matcher(l).find()).toList())
          .as(linkly.transcript()).isEmpty();
    }
    assertThat(data.resolve("iii.db-wal")).as("checkpointed and removed by a clean close").doesNotExist();
    assertThat(data.resolve("iii.db")).exists();
    assertThat(data.resolve("analytics.db")).exists();
    assertThat(data.resolve("queue")).isDirectory();
    assertThat(data.resolve("stream_store")).isDirectory();
    try (Stream<Path> inWorkDir = Files.list(workDir)) {
      assertThat(inWorkDir.toList()).as("nothing written to the working directory").isEmpty();
    }

    try (ChildProcess again = ChildProcess.java(Linkly.class, List.of(), LinklyFixture.env(data), workDir)) {
      String http = "http://127.0.0.1:" + again.await(HTTP_PORT, START);
      again.await(Pattern.compile("Linkly is up"), START);
      HttpResponse<String> redirect = LinklyFixture.get(http + "/s/" + code);
      assertThat(redirect.statusCode()).as(redirect.body()).isEqualTo(302);
      assertThat(redirect.headers().firstValue("location")).hasValue("https://example.com/a");
    }
  }
}
