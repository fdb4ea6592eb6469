package io.linkly.app.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.Linkly;
import io.linkly.app.LinklyFixture;
import io.linkly.app.link.ShortCode;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.iii.sdk.WorkerOptions;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bulk importer against a real engine and the Linkly workers, fed CSV streams. */
class BulkImporterTest {

  @TempDir static Path data;
  private static Linkly linkly;
  private static Iii importerWorker;
  private static Iii client;
  private static BulkImporter importer;

  @BeforeAll
  static void start() throws Exception {
    linkly = Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC());
    importerWorker = Iii.registerWorker(linkly.engine(), WorkerOptions.builder().workerName(BulkImporter.NAME).build());
    importer = new BulkImporter(importerWorker, ShortCode.secure(), Clock.systemUTC());
    client = Iii.registerWorker(linkly.engine().workerUrl());
  }

  @AfterAll
  static void stop() {
    client.shutdown();
    importerWorker.shutdown();
    linkly.close();
  }

  private static InputStream csv(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String resolve(String code) {
    JsonNode url = client.trigger(TriggerRequest.of("link::resolve", Map.of("code", code))).get("url");
    return url.isNull() ? null : url.asText();
  }

  private static JsonNode query(String db, String sql) {
    return client.trigger(TriggerRequest.of("database::query", Map.of("db", db, "sql", sql)));
  }

  private static long links(String likePattern) {
    return query("primary", "SELECT COUNT(*) AS n FROM links WHERE code LIKE '" + likePattern + "'").get("rows").get(0).get("n").asLong();
  }

  /** Today's count once the announcements of earlier tests have all been counted. */
  private static long settledCreatedToday() {
    long[] last = {-1};
    await().pollInterval(Duration.ofMillis(300)).atMost(Duration.ofSeconds(30)).until(() -> {
      long now = createdToday();
      boolean same = now == last[0];
      last[0] = now;
      return same;
    });
    return last[0];
  }

  private static long createdToday() {
    String today = LocalDate.now(ZoneOffset.UTC).toString();
    JsonNode rows = query("analytics", "SELECT count FROM daily_link_counts WHERE day = '" + today + "'").get("rows");
    return rows.isEmpty() ? 0 : rows.get(0).get("count").asLong();
  }

  @Test
  void everyKindOfRowIsImportedOrReportedExactly() {
    client.trigger(TriggerRequest.of("link::create", Map.of("code", "r-taken", "url", "https://iii.dev/original")));
    String text =
        "\uFEFFCode,URL,note\r\n"                              // 1: BOM, CRLF, any case, an extra column
            + "r-q1,\"https://iii.dev/a,b\",x\r\n"              // 2: a quoted comma
            + "r-q2,https://iii.dev/2,\"say \"\"hi\"\", then go\"\r\n" // 3: escaped quotes and a comma in quotes
            + "\r\n"                                            // 4: blank
            + "r-q3,https://iii.dev/3,\"two\r\nlines\"\r\n"     // 5-6: a line break inside quotes
            + "r-q1,https://iii.dev/again,z\r\n"                // 7: r-q1 again, in the same batch
            + "r-taken,https://iii.dev/t,z\n"                   // 8: taken before the import; LF from here
            + "r-q4,javascript:alert(1),z\n"                    // 9: a URL link::create refuses
            + "r-q5,https://iii.dev/5\n"                        // 10: one field short
            + "bad code!,https://iii.dev/6,z\n"                 // 11: a code link::create refuses
            + ",example.com/generated-r,z\n"                    // 12: no code: one is drawn
            + "\n\n"                                            // 13-14: blank
            + "r-q2,https://iii.dev/later,z\n"                  // 15: r-q2 again, in a later batch
            + " r-q6 , https://iii.dev/6 ,z";                   // 16: spaces around values, no final line break
    ImportReport report = new BulkImporter(importerWorker, ShortCode.secure(), Clock.systemUTC(), 4).importCsv(csv(text), ImportMode.BEST_EFFORT);

    assertThat(Json.write(Json.toTree(report.toResult())))
        .isEqualTo("{\"imported\":5,\"committed\":true,\"mode\":\"best_effort\",\"rows\":11,\"skipped_count\":6,\"skipped\":["
            + "{\"line\":7,\"code\":\"duplicate_code\",\"reason\":\"code already exists\"},"
            + "{\"line\":8,\"code\":\"duplicate_code\",\"reason\":\"code already exists\"},"
            + "{\"line\":9,\"code\":\"invalid_url\",\"reason\":\"\\\"url\\\" must use http or https, not javascript:\"},"
            + "{\"line\":10,\"code\":\"malformed_row\",\"reason\":\"the row has 2 fields, the header 3 fields (quote a value that holds a comma)\"},"
            + "{\"line\":11,\"code\":\"invalid_code\",\"reason\":\"\\\"code\\\" must be 1 to 64 characters of letters, digits, '-' or '_'\"},"
            + "{\"line\":15,\"code\":\"duplicate_code\",\"reason\":\"code already exists\"}]}");

    assertThat(resolve("r-q1")).isEqualTo("https://iii.dev/a,b");
    assertThat(resolve("r-q2")).isEqualTo("https://iii.dev/2");
    assertThat(resolve("r-q3")).isEqualTo("https://iii.dev/3");
    assertThat(resolve("r-q6")).isEqualTo("https://iii.dev/6");
    assertThat(resolve("r-taken")).as("a taken code keeps its link").isEqualTo("https://iii.dev/original");
    assertThat(resolve("r-q4")).isNull();
    assertThat(resolve("r-q5")).isNull();
    JsonNode generated = query("primary", "SELECT code FROM links WHERE url = 'https://example.com/generated-r'").get("rows");
    assertThat(generated).hasSize(1);
    String code = generated.get(0).get("code").asText();
    assertThat(code).matches("[a-z0-9]{6}");
    assertThat(resolve(code)).isEqualTo("https://example.com/generated-r");
  }

  @Test
  void allOrNothingWithOneBadRowImportsNothing() {
    long before = links("aon-%");
    String text = "code,url\naon-1,https://iii.dev/1\naon-2,https://iii.dev/2\naon-3,ftp://iii.dev/3\naon-4,https://iii.dev/4\n";
    ImportReport report = importer.importCsv(csv(text), ImportMode.ALL_OR_NOTHING);
    assertThat(Json.write(Json.toTree(report.toResult())))
        .isEqualTo("{\"imported\":0,\"committed\":false,\"mode\":\"all_or_nothing\",\"rows\":4,\"skipped_count\":1,\"skipped\":["
            + "{\"line\":4,\"code\":\"invalid_url\",\"reason\":\"\\\"url\\\" must use http or https, not ftp:\"}]}");
    assertThat(links("aon-%")).isEqualTo(before);
    assertThat(resolve("aon-1")).isNull();

    ImportReport duplicate =
        importer.importCsv(csv("code,url\naon-5,https://iii.dev/5\naon-5,https://iii.dev/5b\n"), ImportMode.ALL_OR_NOTHING);
    assertThat(duplicate.committed()).isFalse();
    assertThat(duplicate.skipped()).containsExactly(new SkippedRow(3, SkippedRow.DUPLICATE_CODE, "code already exists"));
    assertThat(links("aon-%")).isEqualTo(before);

    ImportReport clean = importer.importCsv(csv(text.replace("ftp:", "https:")), ImportMode.ALL_OR_NOTHING);
    assertThat(clean.committed()).isTrue();
    assertThat(clean.imported()).isEqualTo(4);
    assertThat(resolve("aon-3")).isEqualTo("https://iii.dev/3");
    assertThat(client.trigger(TriggerRequest.of("link::create", Map.of("code", "aon-after", "url", "https://iii.dev"))).get("code").asText())
        .as("the writer is free once the import committed").isEqualTo("aon-after");
  }

  @Test
  void importedLinksAreAnnouncedSoAnalyticsCountsThem() {
    long before = settledCreatedToday();
    StringBuilder text = new StringBuilder("code,url\n");
    for (int i = 0; i < 40; i++) {
      text.append("pub-").append(i).append(",https://iii.dev/").append(i).append('\n');
    }
    text.append("pub-0,https://iii.dev/duplicate\n");
    assertThat(importer.importCsv(csv(text.toString()), ImportMode.BEST_EFFORT).imported()).isEqualTo(40);
    assertThat(importer.importCsv(csv("code,url\npub-aon-1,https://iii.dev/a\npub-aon-2,https://iii.dev/b\n"), ImportMode.ALL_OR_NOTHING).imported())
        .isEqualTo(2);
    assertThat(importer.importCsv(csv("code,url\npub-rolled-back,https://iii.dev/a\npub-0,https://iii.dev/b\n"), ImportMode.ALL_OR_NOTHING).committed())
        .isFalse();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(createdToday()).isEqualTo(before + 42));
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(createdToday()).as("nothing for the duplicate or the rolled back import").isEqualTo(before + 42));
  }

  @Test
  void aFileWithoutAUrlColumnImportsNothing() {
    assertThatThrownBy(() -> importer.importCsv(csv("code,link\nh-1,https://iii.dev\n"), ImportMode.BEST_EFFORT))
        .isInstanceOf(InvalidCsvException.class)
        .hasMessage("the header row has no url column (it has: code, link); expected code,url");
    assertThatThrownBy(() -> importer.importCsv(csv(""), ImportMode.BEST_EFFORT))
        .isInstanceOf(InvalidCsvException.class)
        .hasMessageContaining("the CSV is empty");
    assertThat(resolve("h-1")).isNull();
  }

  @Test
  void textThatIsNotCsvStopsTheImportWhereItIs() {
    ImportReport report =
        importer.importCsv(csv("url,code\nhttps://iii.dev/1,s-1\n\"https://iii.dev/2\"x,s-2\nhttps://iii.dev/3,s-3\n"), ImportMode.BEST_EFFORT);
    assertThat(report.imported()).as("the rows before it").isEqualTo(1);
    assertThat(Json.write(Json.toTree(report.toResult().get("error"))))
        .startsWith("{\"code\":\"INVALID_CSV\",\"message\":\"invalid CSV: Invalid character between encapsulated token and delimiter")
        .endsWith("\"line\":3}");
    assertThat(resolve("s-1")).isEqualTo("https://iii.dev/1");
    assertThat(resolve("s-3")).isNull();
  }

  @Test
  void aFileOfGarbageIsCountedButOnlyItsFirstThousandRowsAreListed() {
    StringBuilder text = new StringBuilder("code,url\n");
    for (int i = 0; i < 1_500; i++) {
      text.append("garbage-").append(i).append(",not a url\n");
    }
    text.append("garbage-ok,https://iii.dev/ok\n");
    ImportReport report = importer.importCsv(csv(text.toString()), ImportMode.BEST_EFFORT);
    assertThat(report.skippedCount()).isEqualTo(1_500);
    assertThat(report.skipped()).hasSize(1_000);
    assertThat(report.skipped().get(999)).isEqualTo(new SkippedRow(1_001, SkippedRow.INVALID_URL, "\"url\" must not contain spaces or control characters"));
    assertThat(report.imported()).isEqualTo(1);
    assertThat(resolve("garbage-ok")).isEqualTo("https://iii.dev/ok");
  }

  @Test
  void aStreamThatFailsStopsTheImportAndKeepsWhatCameBefore() {
    InputStream failing = new java.io.SequenceInputStream(
        csv("code,url\nf-1,https://iii.dev/1\n"),
        new InputStream() {
          @Override
          public int read() throws java.io.IOException {
            throw new java.io.IOException("channel closed");
          }
        });
    ImportReport report = importer.importCsv(failing, ImportMode.BEST_EFFORT);
    assertThat(report.toResult().get("error")).isEqualTo(Map.of("code", "READ_FAILED", "message", "the CSV stream failed: channel closed"));
    assertThat(report.imported()).isEqualTo(1);
    assertThat(resolve("f-1")).isEqualTo("https://iii.dev/1");
  }

  @Test
  void aRowThatIsNotUtf8IsMalformed() {
    byte[] head = "code,url\nu-1,https://iii.dev/1\nu-2,https://iii.dev/".getBytes(StandardCharsets.UTF_8);
    byte[] tail = "\nu-3,https://iii.dev/3\n".getBytes(StandardCharsets.UTF_8);
    byte[] text = new byte[head.length + 1 + tail.length];
    System.arraycopy(head, 0, text, 0, head.length);
    text[head.length] = (byte) 0xff;
    System.arraycopy(tail, 0, text, head.length + 1, tail.length);
    ImportReport report = importer.importCsv(new ByteArrayInputStream(text), ImportMode.BEST_EFFORT);
    assertThat(report.skipped()).containsExactly(new SkippedRow(3, SkippedRow.MALFORMED_ROW, "the row is not valid UTF-8"));
    assertThat(report.imported()).isEqualTo(2);
    assertThat(resolve("u-2")).isNull();
    assertThat(resolve("u-3")).isEqualTo("https://iii.dev/3");
  }

  /**
   * 50,000 links at import speed, each announced on link.created, all counted by the real
   * analytics worker (which writes the counts of a burst together; one write per link overran
   * its calls in flight and lost most of the counts).
   */
  @Test
  void aLongGeneratedStreamImportsCompletelyAndAnalyticsCountsEveryLink() {
    long before = settledCreatedToday();
    int rows = Integer.getInteger("linkly.import.rows", 50_000);
    long start = System.nanoTime();
    ImportReport report = importer.importCsv(new GeneratedCsv("big-", rows), ImportMode.BEST_EFFORT);
    long elapsedNanos = System.nanoTime() - start;
    System.out.printf("imported %,d rows in %,d ms: %,.0f rows/s%n", report.imported(), elapsedNanos / 1_000_000, report.imported() * 1e9 / elapsedNanos);
    assertThat(report.imported()).isEqualTo(rows);
    assertThat(report.skippedCount()).isZero();
    assertThat(report.rows()).isEqualTo(rows);
    assertThat(links("big-%")).isEqualTo(rows);
    assertThat(resolve("big-0")).isEqualTo("https://example.com/0");
    assertThat(resolve("big-" + (rows - 1))).isEqualTo("https://example.com/" + (rows - 1));
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(createdToday() - before).as("every link counted").isEqualTo(rows));
    assertThat(settledCreatedToday() - before).as("and none twice").isEqualTo(rows);
  }
}
