package io.linkly.app;

import static io.linkly.app.ClickVisitorsTest.CHROME;
import static io.linkly.app.ClickVisitorsTest.GOOGLEBOT;
import static io.linkly.app.ClickVisitorsTest.visit;
import static io.linkly.app.LinklyFixture.get;
import static io.linkly.app.LinklyFixture.json;
import static io.linkly.app.LinklyFixture.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.app.sql.SqlDatabase;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.iii.sdk.WorkerOptions;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code link::stats} and {@code GET /links/:code/stats}: a link's clicks counted by people and
 * crawlers, per UTC day, and broken down by referrer, browser, OS and device, over all time or a
 * range; the tenth largest group and below folded into {@code (other)}. On SQLite here, on
 * PostgreSQL in {@link LinkStatsPostgresTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LinkStatsTest {

  static final String IPHONE =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";

  @TempDir static Path data;
  /** Noon UTC of the day the test runs, moving on from there: no click of a run falls on another day. */
  private final Clock clock = Clock.offset(Clock.systemUTC(), Duration.between(Instant.now(), LocalDate.now(ZoneOffset.UTC).atTime(12, 0).toInstant(ZoneOffset.UTC)));
  private Linkly linkly;
  private Iii client;
  private SqlDatabase primary;

  /** The environment Linkly starts with; {@link LinkStatsPostgresTest} puts the databases on PostgreSQL. */
  Map<String, String> env(Path data) {
    return LinklyFixture.env(data);
  }

  /** After Linkly has stopped: {@link LinkStatsPostgresTest} drops its schema. */
  void cleanUp() throws Exception {}

  @BeforeAll
  void start() throws Exception {
    linkly = Linkly.start(Linkly.config(env(data)::get), clock);
    client = Iii.registerWorker(linkly.engine().workerUrl());
    primary = new SqlDatabase(client, "primary");
  }

  @AfterAll
  void stop() throws Exception {
    if (client != null) {
      client.shutdown();
    }
    if (linkly != null) {
      linkly.close();
    }
    cleanUp();
  }

  @Test
  void peopleAndCrawlersAreCountedPerDayAndBrokenDown() throws Exception {
    create("st");
    String link = linkly.httpUrl() + "/s/st";
    for (int i = 0; i < 3; i++) {
      assertThat(visit(link, CHROME, "https://news.example.org/item?id=" + i).statusCode()).isEqualTo(302);
    }
    assertThat(visit(link, IPHONE, "https://t.co/abc").statusCode()).isEqualTo(302);
    assertThat(visit(link, IPHONE, "https://t.co/def").statusCode()).isEqualTo(302);
    assertThat(visit(link, "curl/8.4.0", null).statusCode()).isEqualTo(302);
    assertThat(visit(link, GOOGLEBOT, "https://news.example.org/").statusCode()).isEqualTo(302);
    assertThat(visit(link, GOOGLEBOT, null).statusCode()).isEqualTo(302);
    await().atMost(Duration.ofSeconds(20)).until(() -> rowCount("st") == 8);

    String today = LocalDate.now(clock.withZone(ZoneOffset.UTC)).toString();
    JsonNode expected =
        expect(
            "{'code':'st','from':null,'to':null,'total':6,'bots':2,'by_day':[{'day':'" + today + "','clicks':6}],"
                + "'referrers':[{'name':'news.example.org','clicks':3},{'name':'t.co','clicks':2},{'name':'(direct)','clicks':1}],"
                + "'browsers':[{'name':'Chrome','clicks':3},{'name':'Mobile Safari','clicks':2},{'name':'curl','clicks':1}],"
                + "'os':[{'name':'Windows','clicks':3},{'name':'iOS','clicks':2},{'name':'Other','clicks':1}],"
                + "'devices':[{'name':'desktop','clicks':3},{'name':'mobile','clicks':2},{'name':'other','clicks':1}]}");
    long lastId = number(primary.query("SELECT MAX(id) AS id FROM clicks WHERE code = ?", List.of("st")).path("rows").path(0).path("id"));

    HttpResponse<String> response = get(linkly.httpUrl() + "/links/%73t/stats"); // a percent-escaped code is the same link
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode viaHttp = json(response.body());
    assertThat(viaHttp.path("last_click_id").asLong()).as("the newest click counted").isEqualTo(lastId);
    assertThat(withoutLastId(viaHttp)).isEqualTo(expected);
    JsonNode viaFunction = stats(Map.of("code", "st"));
    assertThat(viaFunction.path("last_click_id").asLong()).isEqualTo(lastId);
    assertThat(withoutLastId(viaFunction)).isEqualTo(expected);
  }

  @Test
  void aRangeCountsOnlyTheClicksInsideIt() throws Exception {
    create("ranged");
    insert("ranged", "2020-03-01T10:00:00.000Z", "a.example", "Firefox", "Linux", "desktop", false);
    insert("ranged", "2020-03-01T23:59:59.999Z", "a.example", "Firefox", "Linux", "desktop", false);
    insert("ranged", "2020-03-02T00:00:00.000Z", "b.example", "Chrome", "Windows", "desktop", false);
    insert("ranged", "2020-03-02T12:00:00.000Z", "b.example", "Googlebot", "Other", "bot", true);
    insert("ranged", "2020-03-03T00:00:00Z", null, null, null, null, false); // a row from before visitors were kept, at a whole second
    insert("ranged", "2020-03-04T00:00:00.000Z", "a.example", "Firefox", "Linux", "desktop", false);

    JsonNode days = stats(Map.of("code", "ranged", "from", "2020-03-02", "to", "2020-03-04"));
    assertThat(withoutLastId(days))
        .isEqualTo(
            expect(
                "{'code':'ranged','from':'2020-03-02T00:00:00.000Z','to':'2020-03-04T00:00:00.000Z','total':2,'bots':1,"
                    + "'by_day':[{'day':'2020-03-02','clicks':1},{'day':'2020-03-03','clicks':1}],"
                    + "'referrers':[{'name':'(direct)','clicks':1},{'name':'b.example','clicks':1}],"
                    + "'browsers':[{'name':'Chrome','clicks':1},{'name':'Other','clicks':1}],"
                    + "'os':[{'name':'Other','clicks':1},{'name':'Windows','clicks':1}],"
                    + "'devices':[{'name':'desktop','clicks':1},{'name':'other','clicks':1}]}"));
    HttpResponse<String> sameOverHttp = get(linkly.httpUrl() + "/links/ranged/stats?from=2020-03-02&to=2020-03-04");
    assertThat(sameOverHttp.statusCode()).isEqualTo(200);
    assertThat(json(sameOverHttp.body())).isEqualTo(days);

    // instants, an offset among them: from is inclusive, to exclusive, to the millisecond
    JsonNode instants = json(get(linkly.httpUrl() + "/links/ranged/stats?from=2020-03-01T23:59:59.999Z&to=2020-03-02T01:00:00.001%2B01:00").body());
    assertThat(instants.get("from").asText()).isEqualTo("2020-03-01T23:59:59.999Z");
    assertThat(instants.get("to").asText()).isEqualTo("2020-03-02T00:00:00.001Z");
    assertThat(instants.get("total").asLong()).isEqualTo(2);
    assertThat(instants.get("by_day")).isEqualTo(expect("[{'day':'2020-03-01','clicks':1},{'day':'2020-03-02','clicks':1}]"));
    assertThat(stats(Map.of("code", "ranged", "to", "2020-03-01T23:59:59.999Z")).get("total").asLong()).as("to is exclusive").isEqualTo(1);
    assertThat(stats(Map.of("code", "ranged", "from", "2020-03-04")).get("total").asLong()).as("from is inclusive").isEqualTo(1);
    JsonNode allTime = stats(Map.of("code", "ranged"));
    assertThat(allTime.get("total").asLong()).isEqualTo(5);
    assertThat(allTime.get("bots").asLong()).isEqualTo(1);

    JsonNode none = stats(Map.of("code", "ranged", "from", "2021-01-01"));
    assertThat(withoutLastId(none))
        .isEqualTo(
            expect(
                "{'code':'ranged','from':'2021-01-01T00:00:00.000Z','to':null,'total':0,'bots':0,'by_day':[],"
                    + "'referrers':[],'browsers':[],'os':[],'devices':[]}"));
    assertThat(none.get("last_click_id").isNull()).isTrue();
  }

  @Test
  void theTenLargestGroupsAreListedAndTheRestIsOther() throws Exception {
    create("many");
    Map<String, Integer> clicks = new HashMap<>();
    clicks.put("a.example", 3);
    clicks.put("b.example", 3);
    clicks.put("c.example", 2);
    clicks.put(null, 2);
    for (String host : List.of("d.example", "e.example", "f.example", "g.example", "h.example", "i.example", "j.example", "k.example")) {
      clicks.put(host, 1);
    }
    clicks.forEach((host, n) -> {
      for (int i = 0; i < n; i++) {
        insert("many", "2020-05-0" + (1 + i) + "T08:00:00.000Z", host, "Chrome", "Windows", "desktop", false);
      }
    });
    insert("many", "2020-05-01T09:00:00.000Z", "k.example", "Googlebot", "Other", "bot", true); // a crawler's click is in no breakdown
    insert("many", "2020-05-01T09:00:00.000Z", "k.example", "Googlebot", "Other", "bot", true);

    JsonNode stats = stats(Map.of("code", "many"));
    assertThat(stats.get("total").asLong()).isEqualTo(18);
    assertThat(stats.get("bots").asLong()).isEqualTo(2);
    // most clicks first, ties by name; 12 referrers: the ten first listed, the last two summed
    assertThat(stats.get("referrers"))
        .isEqualTo(
            expect(
                "[{'name':'a.example','clicks':3},{'name':'b.example','clicks':3},{'name':'(direct)','clicks':2},{'name':'c.example','clicks':2},"
                    + "{'name':'d.example','clicks':1},{'name':'e.example','clicks':1},{'name':'f.example','clicks':1},{'name':'g.example','clicks':1},"
                    + "{'name':'h.example','clicks':1},{'name':'i.example','clicks':1},{'name':'(other)','clicks':2}]"));
    assertThat(stats.get("browsers")).isEqualTo(expect("[{'name':'Chrome','clicks':18}]"));
    assertThat(stats.get("by_day"))
        .isEqualTo(expect("[{'day':'2020-05-01','clicks':12},{'day':'2020-05-02','clicks':4},{'day':'2020-05-03','clicks':2}]"));
  }

  @Test
  void unknownLinksAndBadRangesAreRefused() throws Exception {
    create("known");
    HttpResponse<String> unknown = get(linkly.httpUrl() + "/links/nope/stats");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json(unknown.body())).isEqualTo(expect("{'error':'link not found'}"));
    assertThatThrownBy(() -> stats(Map.of("code", "nope")))
        .isInstanceOfSatisfying(IiiException.class, e -> assertThat(e.code()).isEqualTo("LINK_NOT_FOUND"));

    Map<String, String> bad =
        Map.of(
            "?from=yesterday", "from is neither an ISO-8601 instant (2026-12-05T09:00:00Z) nor a date (2026-12-05): 'yesterday'",
            "?to=2026-13-01", "to is neither an ISO-8601 instant (2026-12-05T09:00:00Z) nor a date (2026-12-05): '2026-13-01'",
            "?from=2026-12-05T09:00:00", "from is neither an ISO-8601 instant (2026-12-05T09:00:00Z) nor a date (2026-12-05): '2026-12-05T09:00:00'",
            "?from=2026-12-02&to=2026-12-01", "from (2026-12-02T00:00:00.000Z) must be before to (2026-12-01T00:00:00.000Z)",
            "?from=2026-12-01&to=2026-12-01T00:00:00Z", "from (2026-12-01T00:00:00.000Z) must be before to (2026-12-01T00:00:00.000Z)",
            "?from=%2B10000-01-01T00:00:00Z", "from must be within the years 0000 to 9999: '+10000-01-01T00:00:00Z'");
    for (Map.Entry<String, String> query : bad.entrySet()) {
      HttpResponse<String> refused = get(linkly.httpUrl() + "/links/known/stats" + query.getKey());
      assertThat(refused.statusCode()).as(query.getKey()).isEqualTo(400);
      assertThat(json(refused.body()).get("error").asText()).as(query.getKey()).isEqualTo(query.getValue());
    }
    assertThatThrownBy(() -> stats(Map.of("code", "known", "from", "2026-12-02", "to", "2026-12-01")))
        .isInstanceOfSatisfying(IiiException.class, e -> assertThat(e.code()).isEqualTo("INVALID_RANGE"));
    assertThatThrownBy(() -> stats(Map.of("code", "known", "from", 20261201)))
        .isInstanceOfSatisfying(IiiException.class, e -> assertThat(e.code()).isEqualTo("INVALID_RANGE"));
    assertThatThrownBy(() -> stats(Map.of("from", "2026-12-01")))
        .isInstanceOfSatisfying(IiiException.class, e -> assertThat(e.code()).isEqualTo("INVALID_CODE"));

    // java.net.http refuses to send a malformed escape: written by hand
    try (Socket socket = new Socket("127.0.0.1", URI.create(linkly.httpUrl()).getPort())) {
      socket.getOutputStream().write("GET /links/%zz/stats HTTP/1.1\r\nHost: linkly\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(answer).startsWith("HTTP/1.1 400 ");
      assertThat(json(answer.substring(answer.indexOf("\r\n\r\n") + 4)).has("error")).isTrue();
    }
  }

  @Test
  void aDashboardTabMayAskForALinksStats() throws Exception {
    create("tabbed");
    Iii tab = Iii.registerWorker(linkly.browserWorkerUrl() + "/?token=dev-token", WorkerOptions.builder().workerName("tab").build());
    try {
      tab.ready().get(10, TimeUnit.SECONDS);
      JsonNode stats = tab.trigger(TriggerRequest.of("link::stats", Map.of("code", "tabbed")));
      assertThat(stats.get("total").asLong()).isZero();
    } finally {
      tab.shutdown();
    }
  }

  private void create(String code) throws Exception {
    assertThat(post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"" + code + "\"}").statusCode()).isEqualTo(201);
  }

  /** A click row written directly, as an old database or another day would have it. */
  private void insert(String code, String clickedAt, String referrer, String browser, String os, String device, boolean bot) {
    primary.execute(
        "INSERT INTO clicks (code, clicked_at, click_key, streamed, referrer, browser, os, device, bot) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)",
        Arrays.asList(code, clickedAt, UUID.randomUUID().toString(), referrer, browser, os, device, bot ? 1 : 0));
  }

  private long rowCount(String code) {
    return number(primary.query("SELECT COUNT(*) AS n FROM clicks WHERE code = ?", List.of(code)).path("rows").path(0).path("n"));
  }

  /** The function's answer, as JSON text would carry it (an in-process answer may hold longs where text holds ints). */
  private JsonNode stats(Map<String, ?> input) {
    return json(Json.write(client.trigger(TriggerRequest.of("link::stats", input))));
  }

  private static JsonNode withoutLastId(JsonNode stats) {
    ObjectNode copy = (ObjectNode) stats.deepCopy();
    copy.remove("last_click_id");
    return copy;
  }

  /** JSON written with single quotes, for readability. */
  private static JsonNode expect(String json) {
    return json(json.replace('\'', '"'));
  }

  private static long number(JsonNode value) {
    return value.isNumber() ? value.asLong() : Long.parseLong(value.asText());
  }
}
