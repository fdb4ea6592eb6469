package io.linkly.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.upload.ImportCommand;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Linkly with {@code LINKLY_DATABASE_URL} on the local PostgreSQL (127.0.0.1:5432, trust auth), in
 * a schema of its own dropped afterwards: the schema is made the same way, links redirect, every
 * click is recorded once, streamed and counted, an all-or-nothing import announces what it added.
 * Required when CI=true; elsewhere skipped, with the reason printed, if PostgreSQL is not there.
 */
class LinklyPostgresTest {

  private static PostgresSchema schema;

  @TempDir Path data;
  private Linkly linkly;
  private Iii client;

  @BeforeAll
  static void createSchema() {
    schema = PostgresSchema.create("linkly_test_", "LinklyPostgresTest");
  }

  @AfterAll
  static void dropSchema() throws SQLException {
    schema.close();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.shutdown();
    }
    if (linkly != null) {
      linkly.close();
    }
  }

  private JsonNode rows(String sql) {
    return client.trigger(TriggerRequest.of("database::query", Map.of("db", "primary", "sql", sql, "params", List.of()))).get("rows");
  }

  @Test
  void linksRedirectAndEveryClickIsRecordedStreamedAndCountedOnce() throws Exception {
    linkly = Linkly.start(Linkly.config(schema.env(data)::get), Clock.systemUTC());
    client = Iii.registerWorker(linkly.engine().workerUrl());
    assertThat(rows("SELECT version() AS v").get(0).get("v").asText()).startsWith("PostgreSQL");

    HttpResponse<String> created = LinklyFixture.post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev/pg\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String code = LinklyFixture.json(created.body()).get("code").asText();
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> redirect = LinklyFixture.get(linkly.httpUrl() + "/s/" + code);
      assertThat(redirect.statusCode()).isEqualTo(302);
      assertThat(redirect.headers().firstValue("location")).hasValue("https://iii.dev/pg");
    }
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      JsonNode counts = rows("SELECT COUNT(*) AS n, COALESCE(SUM(streamed), 0) AS streamed FROM clicks WHERE code = '" + code + "'").get(0);
      assertThat(counts.get("n").asLong()).isEqualTo(20);
      assertThat(counts.get("streamed").asLong()).as("every click is on the live stream and marked so").isEqualTo(20);
    });
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      JsonNode total = client.trigger(TriggerRequest.of("stream::get", Map.of("stream_name", "clicks", "group_id", "totals", "item_id", code)));
      assertThat(total.path("clicks").asLong()).isEqualTo(20);
    });
    await().untilAsserted(() -> assertThat(linksCounted()).isGreaterThanOrEqualTo(1));
  }

  /** Links analytics counted from their link.created announcements. */
  private long linksCounted() {
    JsonNode rows = client.trigger(TriggerRequest.of("database::query",
        Map.of("db", "analytics", "sql", "SELECT COALESCE(SUM(count), 0) AS n FROM daily_link_counts", "params", List.of()))).get("rows");
    return rows.get(0).get("n").asLong();
  }

  @Test
  void anAllOrNothingImportAddsAndAnnouncesItsLinks_andTheSchemaIsMadeOnceForTwoStarts() throws Exception {
    linkly = Linkly.start(Linkly.config(schema.env(data)::get), Clock.systemUTC());
    linkly.close(); // the second start finds the tables the first made
    linkly = Linkly.start(Linkly.config(schema.env(data)::get), Clock.systemUTC());
    client = Iii.registerWorker(linkly.engine().workerUrl());

    long countedBefore = linksCounted();
    String r = UUID.randomUUID().toString().substring(0, 8);
    Path csv = data.resolve("links.csv");
    Files.writeString(csv, "code,url\npg1-" + r + ",https://iii.dev/1\npg2-" + r + ",https://iii.dev/2\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = ImportCommand.run(new String[] {csv.toString(), "--mode", "all_or_nothing", "--address", linkly.engine().workerUrl()},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(LinklyFixture.json(out.toString(StandardCharsets.UTF_8)).get("imported").asInt()).isEqualTo(2);
    for (String code : List.of("pg1-" + r, "pg2-" + r)) {
      assertThat(LinklyFixture.get(linkly.httpUrl() + "/s/" + code).statusCode()).isEqualTo(302);
    }
    // the links the transaction added are found by row id after the commit and announced (link.created)
    await().untilAsserted(() -> assertThat(linksCounted()).isEqualTo(countedBefore + 2));
  }
}
