package io.linkly.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.upload.ImportCommand;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chapter 6 end to end (LINKLY.md S9): a CSV uploaded over a data channel with {@code linkly
 * import}, and the same over HTTP ({@code POST /links/import}, the body streamed through the
 * request's channel), against a running Linkly.
 */
class BulkImportTest {

  @TempDir static Path data;
  private static Linkly linkly;
  private static Iii client;

  @BeforeAll
  static void start() throws Exception {
    linkly = Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC());
    client = Iii.registerWorker(linkly.engine().workerUrl());
  }

  @AfterAll
  static void stop() {
    client.shutdown();
    linkly.close();
  }

  private record Run(int exit, String out, String err) {}

  private static Run importCommand(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--address";
    all[args.length + 1] = linkly.engine().workerUrl();
    int exit = ImportCommand.run(all, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static String resolve(String code) {
    JsonNode url = client.trigger(TriggerRequest.of("link::resolve", Map.of("code", code))).get("url");
    return url.isNull() ? null : url.asText();
  }

  private static long createdToday() {
    String today = LocalDate.now(ZoneOffset.UTC).toString();
    JsonNode rows =
        client.trigger(TriggerRequest.of("database::query", Map.of("db", "analytics", "sql", "SELECT count FROM daily_link_counts WHERE day = ?", "params", java.util.List.of(today))))
            .get("rows");
    return rows.isEmpty() ? 0 : rows.get(0).get("count").asLong();
  }

  @Test
  void theChaptersCsvImportsOverAChannelAndARerunReportsEveryRowAsADuplicate() throws Exception {
    String r = UUID.randomUUID().toString().substring(0, 8);
    Path csv = data.resolve("links-" + r + ".csv");
    Files.writeString(csv, "code,url\nm1-" + r + ",https://iii.dev\nm2-" + r + ",https://iii.dev/docs\n\nbad-row-" + r + "\n");
    long countedBefore = createdToday();

    Run first = importCommand(csv.toString());
    assertThat(first.exit()).as(first.err()).isZero();
    JsonNode report = LinklyFixture.json(first.out());
    assertThat(report.get("imported").asInt()).isEqualTo(2);
    assertThat(report.get("skipped").get(0).get("code").asText()).isEqualTo("malformed_row");
    assertThat(first.err()).as("progress, plain lines off a terminal").contains("100%");

    assertThat(resolve("m1-" + r)).isEqualTo("https://iii.dev");
    assertThat(resolve("m2-" + r)).isEqualTo("https://iii.dev/docs");
    assertThat(LinklyFixture.get(linkly.httpUrl() + "/s/m1-" + r).statusCode()).isEqualTo(302);
    await().atMost(Duration.ofSeconds(20)).until(() -> createdToday() - countedBefore == 2);

    Run again = importCommand(csv.toString());
    JsonNode rerun = LinklyFixture.json(again.out());
    assertThat(rerun.get("imported").asInt()).isZero();
    assertThat(rerun.get("skipped").findValuesAsText("code")).containsExactly("duplicate_code", "duplicate_code", "malformed_row");
  }

  @Test
  void badUsageAndAMissingFileAreExitCode2() {
    assertThat(importCommand().exit()).isEqualTo(2);
    assertThat(importCommand(data.resolve("nope.csv").toString()).exit()).isEqualTo(2);
    assertThat(importCommand(data.toString(), "--mode", "sometimes").exit()).isEqualTo(2);
  }

  @Test
  void curlCanPostACsvToLinksImport() throws Exception {
    String r = UUID.randomUUID().toString().substring(0, 8);
    String body = "\uFEFFcode,url\r\n\"q1-" + r + "\",\"https://example.com/a,b\"\r\nq1-" + r + ",https://example.com/dup\r\nq2-" + r + ",javascript:alert(1)\r\n";
    HttpResponse<String> response =
        LinklyFixture.HTTP.send(
            HttpRequest.newBuilder(URI.create(linkly.httpUrl() + "/links/import"))
                .header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode report = LinklyFixture.json(response.body());
    assertThat(report.get("imported").asInt()).isEqualTo(1);
    assertThat(report.get("skipped").findValuesAsText("code")).containsExactly("duplicate_code", "invalid_url");
    assertThat(resolve("q1-" + r)).isEqualTo("https://example.com/a,b");

    HttpResponse<String> noHeader =
        LinklyFixture.HTTP.send(
            HttpRequest.newBuilder(URI.create(linkly.httpUrl() + "/links/import"))
                .header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofString("just,some\n"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(noHeader.statusCode()).isEqualTo(400);
    assertThat(LinklyFixture.json(noHeader.body()).get("code").asText()).isEqualTo("INVALID_CSV");
  }
}
