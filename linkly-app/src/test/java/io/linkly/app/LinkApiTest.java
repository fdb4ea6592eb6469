package io.linkly.app;

import static io.linkly.app.LinklyFixture.get;
import static io.linkly.app.LinklyFixture.json;
import static io.linkly.app.LinklyFixture.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.testing.HandClock;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerRequest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The links API beyond the tutorial: list, read and delete links; expiry, click limits and fallbacks. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LinkApiTest {

  @TempDir static Path data;
  private final HandClock clock = new HandClock(); // moved forward to pass a link's expiry
  private Linkly linkly;
  private Iii client;

  /** Linkly's environment; {@link LinkApiPostgresTest} puts the links on PostgreSQL. */
  Map<String, String> env(Path data) {
    return LinklyFixture.env(data);
  }

  void cleanUp() throws Exception {}

  @BeforeAll
  void start() throws Exception {
    linkly = Linkly.start(Linkly.config(env(data)::get), clock);
    client = Iii.registerWorker(linkly.engine().workerUrl());
  }

  @AfterAll
  void stop() throws Exception {
    client.shutdown();
    linkly.close();
    cleanUp();
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(linkly.httpUrl() + path)).header("Content-Type", "application/json");
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return LinklyFixture.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode created(String body) throws Exception {
    HttpResponse<String> response = post(linkly.httpUrl() + "/links", body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return json(response.body());
  }

  @Test
  void linksAreListedNewestFirstPagedAndFilteredByText() throws Exception {
    for (int i = 1; i <= 5; i++) {
      created("{\"url\":\"https://example.org/page-" + i + "\",\"code\":\"list-" + i + "\"}");
    }
    created("{\"url\":\"https://other.example/LIST_X\",\"code\":\"unrelated\"}");
    List<String> codes = new ArrayList<>();
    String cursor = null;
    do {
      HttpResponse<String> page = get(linkly.httpUrl() + "/links?q=example.org/page&limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(page.statusCode()).isEqualTo(200);
      JsonNode body = json(page.body());
      assertThat(body.get("links").size()).isLessThanOrEqualTo(2);
      body.get("links").forEach(l -> codes.add(l.get("code").asText()));
      cursor = body.get("next_cursor").isNull() ? null : body.get("next_cursor").asText();
    } while (cursor != null);
    assertThat(codes).containsExactly("list-5", "list-4", "list-3", "list-2", "list-1");

    // the text is matched ignoring case, and % and _ are plain characters
    JsonNode underscore = json(get(linkly.httpUrl() + "/links?q=list_x").body());
    assertThat(underscore.get("links")).extracting(l -> l.get("code").asText()).containsExactly("unrelated");
    assertThat(json(get(linkly.httpUrl() + "/links?q=%25").body()).get("links")).isEmpty();

    assertThat(get(linkly.httpUrl() + "/links?limit=0").statusCode()).isEqualTo(400);
    assertThat(get(linkly.httpUrl() + "/links?limit=abc").statusCode()).isEqualTo(400);
    assertThat(json(get(linkly.httpUrl() + "/links?cursor=nope").body()).get("error").asText()).contains("cursor");
    JsonNode listed = client.trigger(TriggerRequest.of("link::list", Map.of("q", "page-3")));
    assertThat(listed.get("links")).extracting(l -> l.get("code").asText()).containsExactly("list-3");
  }

  @Test
  void aLinkCanBeReadAndDeleted() throws Exception {
    created("{\"url\":\"https://iii.dev/read\",\"code\":\"readme\"}");
    HttpResponse<String> read = get(linkly.httpUrl() + "/links/readme");
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(json(read.body())).isEqualTo(json("{\"code\":\"readme\",\"url\":\"https://iii.dev/read\",\"created_at\":\"2026-12-05T10:00:00.000Z\"}"));
    assertThat(get(linkly.httpUrl() + "/links/nobody").statusCode()).isEqualTo(404);

    HttpResponse<String> deleted = send("DELETE", "/links/readme", null);
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(json(deleted.body()).get("deleted").asBoolean()).isTrue();
    assertThat(get(linkly.httpUrl() + "/s/readme").statusCode()).isEqualTo(404);
    assertThat(get(linkly.httpUrl() + "/links/readme").statusCode()).isEqualTo(404);
    HttpResponse<String> again = send("DELETE", "/links/readme", null);
    assertThat(again.statusCode()).isEqualTo(404);
    assertThat(json(again.body())).isEqualTo(json("{\"error\":\"link not found\"}"));
  }

  @Test
  void pastItsExpiryALinkIsGoneOrGoesToItsFallback() throws Exception {
    String soon = clock.instant().plus(Duration.ofHours(1)).toString();
    JsonNode link = created("{\"url\":\"https://iii.dev/promo\",\"code\":\"promo\",\"expires_at\":\"" + soon + "\"}");
    assertThat(link.get("expires_at").asText()).isEqualTo("2026-12-05T11:00:00.000Z");
    created("{\"url\":\"https://iii.dev/sale\",\"code\":\"sale\",\"expires_at\":\"2026-12-05T12:00:00+01:00\",\"fallback_url\":\"iii.dev/over\"}");
    assertThat(get(linkly.httpUrl() + "/s/promo").statusCode()).isEqualTo(302);
    assertThat(get(linkly.httpUrl() + "/s/sale").headers().firstValue("location")).hasValue("https://iii.dev/sale");

    clock.advance(Duration.ofHours(1));
    HttpResponse<String> gone = get(linkly.httpUrl() + "/s/promo");
    assertThat(gone.statusCode()).isEqualTo(410);
    assertThat(gone.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(json(gone.body())).isEqualTo(json("{\"error\":\"link expired\",\"code\":\"promo\",\"expired_at\":\"2026-12-05T11:00:00.000Z\"}"));
    HttpResponse<String> fallback = get(linkly.httpUrl() + "/s/sale");
    assertThat(fallback.statusCode()).isEqualTo(302);
    assertThat(fallback.headers().firstValue("location")).hasValue("https://iii.dev/over");

    // an update moves the expiry away again (the cache follows the durable update)
    HttpResponse<String> renewed = send("PUT", "/links/promo", "{\"expires_at\":null}");
    assertThat(renewed.statusCode()).isEqualTo(200);
    assertThat(json(renewed.body())).isEqualTo(json("{\"code\":\"promo\",\"url\":\"https://iii.dev/promo\"}"));
    await().atMost(Duration.ofSeconds(10)).until(() -> get(linkly.httpUrl() + "/s/promo").statusCode() == 302);
  }

  @Test
  void aClickLimitLetsExactlyThatManyPeopleThroughAndCrawlersDoNotUseItUp() throws Exception {
    created("{\"url\":\"https://iii.dev/limited\",\"code\":\"limited\",\"max_clicks\":3}");
    assertThat(ClickVisitorsTest.visit(linkly.httpUrl() + "/s/limited", ClickVisitorsTest.GOOGLEBOT, null).statusCode()).isEqualTo(302);
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      statuses.add(get(linkly.httpUrl() + "/s/limited").statusCode());
    }
    assertThat(statuses).containsExactly(302, 302, 302, 410, 410);
    HttpResponse<String> gone = get(linkly.httpUrl() + "/s/limited");
    assertThat(json(gone.body())).isEqualTo(json("{\"error\":\"link reached its click limit\",\"code\":\"limited\",\"max_clicks\":3}"));
    assertThat(json(get(linkly.httpUrl() + "/links/limited").body()).get("visits").asLong()).isEqualTo(3);

    // raising the limit lets one more through
    assertThat(send("PUT", "/links/limited", "{\"max_clicks\":4}").statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> get(linkly.httpUrl() + "/s/limited").statusCode() == 302);
    assertThat(get(linkly.httpUrl() + "/s/limited").statusCode()).isEqualTo(410);
  }

  @Test
  void concurrentVisitorsNeverGetPastTheLimit() throws Exception {
    created("{\"url\":\"https://iii.dev/rush\",\"code\":\"rush\",\"max_clicks\":10}");
    List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      all.add(LinklyFixture.HTTP.sendAsync(HttpRequest.newBuilder(URI.create(linkly.httpUrl() + "/s/rush")).build(), HttpResponse.BodyHandlers.ofString()));
    }
    long through = all.stream().map(java.util.concurrent.CompletableFuture::join).filter(r -> r.statusCode() == 302).count();
    assertThat(through).isEqualTo(10);
  }

  @Test
  void badLimitsAreRefusedWithAClearError() throws Exception {
    for (String body :
        List.of(
            "{\"url\":\"https://iii.dev\",\"expires_at\":\"tomorrow\"}",
            "{\"url\":\"https://iii.dev\",\"expires_at\":42}",
            "{\"url\":\"https://iii.dev\",\"max_clicks\":0}",
            "{\"url\":\"https://iii.dev\",\"max_clicks\":1.5}",
            "{\"url\":\"https://iii.dev\",\"max_clicks\":\"3\"}",
            "{\"url\":\"https://iii.dev\",\"fallback_url\":\"javascript:alert(1)\"}")) {
      HttpResponse<String> response = post(linkly.httpUrl() + "/links", body);
      assertThat(response.statusCode()).as(body).isEqualTo(400);
      assertThat(json(response.body()).get("error").asText()).as(body).containsAnyOf("expires_at", "max_clicks", "fallback_url");
    }
    created("{\"url\":\"https://iii.dev\",\"code\":\"keep\"}");
    // a new link that has expired already would never redirect: most likely a wrong year or zone
    HttpResponse<String> past = post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"expires_at\":\"2026-12-05T09:59:59Z\"}");
    assertThat(past.statusCode()).isEqualTo(400);
    assertThat(json(past.body()).get("error").asText())
        .isEqualTo("\"expires_at\" 2026-12-05T09:59:59.000Z has passed: a new link would never redirect (PUT /links/:code may end a link's life now)");
    assertThat(send("PUT", "/links/keep", "{\"expires_at\":\"2026-12-05T09:59:59Z\"}").statusCode()).as("an existing link may expire now").isEqualTo(200);
    assertThat(send("PUT", "/links/keep", "{\"max_clicks\":-1}").statusCode()).isEqualTo(400);
    assertThat(send("PUT", "/links/keep", "{}").statusCode()).isEqualTo(400);
    Assertions.assertThatThrownBy(() -> client.trigger(TriggerRequest.of("link::get", Map.of("code", "nobody"))))
        .isInstanceOfSatisfying(IiiException.class, e -> assertThat(e.code()).isEqualTo("LINK_NOT_FOUND"));
  }
}
