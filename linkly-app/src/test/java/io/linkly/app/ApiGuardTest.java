package io.linkly.app;

import static io.linkly.app.LinklyFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.linkly.app.guard.GuardSettings;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code LINKLY_API_TOKEN} guards the write routes ({@code POST /links}, {@code PUT /links/:code},
 * {@code POST /links/import}) and {@code LINKLY_CREATE_RATE} limits link creation per client, over
 * real HTTP; reads and redirects stay open.
 */
class ApiGuardTest {

  private static final String NO_TOKEN = null;

  @TempDir Path data;

  /** Linkly with the guard's variables as given, the others as the fixture sets them. */
  private Linkly start(Map<String, String> settings) throws Exception {
    Map<String, String> env = new HashMap<>(LinklyFixture.env(data));
    env.remove("LINKLY_CREATE_RATE");
    env.putAll(settings);
    return Linkly.start(Linkly.config(env::get), Clock.systemUTC());
  }

  @Test
  void withoutATokenTheWriteRoutesAreOpenAsBefore() throws Exception {
    try (Linkly linkly = start(Map.of())) {
      String base = linkly.httpUrl();
      assertThat(create(base, "open", NO_TOKEN).statusCode()).isEqualTo(201);
      assertThat(update(base, "open", NO_TOKEN).statusCode()).isEqualTo(200);
      assertThat(importCsv(base, "open-imp", NO_TOKEN).statusCode()).isEqualTo(200);
      assertThat(send(HttpRequest.newBuilder(URI.create(base + "/s/open-imp"))).statusCode()).isEqualTo(302);
    }
  }

  @Test
  void withATokenEveryWriteRouteWantsItAndReadsDoNot() throws Exception {
    try (Linkly linkly = start(Map.of("LINKLY_API_TOKEN", "s3cret"))) {
      String base = linkly.httpUrl();
      for (String authorization : new String[] {NO_TOKEN, "Bearer wrong", "Bearer s3cret-and-more", "Bearer s3cre", "Basic s3cret", "s3cret", "Bearer "}) {
        assertUnauthorised(create(base, "guarded", authorization), "POST /links with " + authorization);
        assertUnauthorised(importCsv(base, "guarded-imp", authorization), "POST /links/import with " + authorization);
      }

      assertThat(create(base, "guarded", "Bearer s3cret").statusCode()).isEqualTo(201);
      assertThat(create(base, "guarded-2", "bEaReR   s3cret").statusCode()).as("the scheme in any case").isEqualTo(201);
      assertThat(importCsv(base, "guarded-imp", "Bearer s3cret").statusCode()).isEqualTo(200);

      assertUnauthorised(update(base, "guarded", NO_TOKEN), "PUT without a token");
      assertUnauthorised(update(base, "guarded", "Bearer wrong"), "PUT with a wrong token");
      HttpResponse<String> updated = update(base, "guarded", "Bearer s3cret");
      assertThat(updated.statusCode()).isEqualTo(200);
      assertThat(json(updated.body()).get("url").asText()).isEqualTo("https://iii.dev/updated");

      // nothing a refused request asked for happened
      assertThat(send(HttpRequest.newBuilder(URI.create(base + "/s/guarded"))).headers().firstValue("location"))
          .hasValue("https://iii.dev/updated");
      // reads and redirects need no token
      assertThat(send(HttpRequest.newBuilder(URI.create(base + "/s/guarded-imp"))).statusCode()).isEqualTo(302);
      assertThat(send(HttpRequest.newBuilder(URI.create(base + "/links/guarded/qr.svg"))).statusCode()).isEqualTo(200);
      assertThat(send(HttpRequest.newBuilder(URI.create(base + "/"))).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void theFourthLinkAMinuteFromOneClientIs429WhileUpdatesAndOtherClientsGoOn() throws Exception {
    try (Linkly linkly = start(Map.of("LINKLY_CREATE_RATE", "3"))) {
      String base = linkly.httpUrl();
      for (int i = 1; i <= 3; i++) {
        assertThat(create(base, "rated-" + i, NO_TOKEN).statusCode()).as("link %d", i).isEqualTo(201);
      }

      HttpResponse<String> fourth = create(base, "rated-4", NO_TOKEN);
      assertThat(fourth.statusCode()).isEqualTo(429);
      assertThat(fourth.headers().firstValue("content-type")).hasValue("application/json");
      assertThat(json(fourth.body())).isEqualTo(json("{\"error\":\"too many links created; retry later\"}"));
      assertThat(fourth.headers().firstValue("retry-after")).hasValueSatisfying(
          seconds -> assertThat(Long.parseLong(seconds)).isBetween(1L, 60L));
      assertThat(send(HttpRequest.newBuilder(URI.create(base + "/s/rated-4"))).statusCode()).as("not created").isEqualTo(404);
      assertThat(importCsv(base, "rated-imp", NO_TOKEN).statusCode()).as("an import is a creation too").isEqualTo(429);

      assertThat(update(base, "rated-1", NO_TOKEN).statusCode()).as("updates are not limited").isEqualTo(200);
      assertThat(send(HttpRequest.newBuilder(URI.create(base + "/s/rated-1"))).statusCode()).isEqualTo(302);

      // the limit is per client address: another one (127.0.0.2 reaches 127.0.0.1 over loopback) has its own
      HttpClient other = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.2")).build();
      HttpResponse<String> fromOther = other.send(createRequest(base, "rated-other", NO_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(fromOther.statusCode()).isEqualTo(201);
    }
  }

  @Test
  void behindATrustedProxyEveryVisitorHasTheirOwnLimitAndClickAddress() throws Exception {
    // this test's client plays the load balancer: it connects from 127.0.0.1 and names the visitor
    try (Linkly linkly = start(Map.of("LINKLY_CREATE_RATE", "2", "LINKLY_TRUSTED_PROXIES", "127.0.0.1"));
        Iii client = Iii.registerWorker(linkly.engine().workerUrl())) {
      String base = linkly.httpUrl();
      assertThat(createFor(base, "a-1", "203.0.113.1").statusCode()).isEqualTo(201);
      assertThat(createFor(base, "a-2", "203.0.113.1").statusCode()).isEqualTo(201);
      assertThat(createFor(base, "a-3", "203.0.113.1").statusCode()).isEqualTo(429);
      assertThat(createFor(base, "b-1", "203.0.113.2").statusCode()).as("another visitor").isEqualTo(201);
      // what a visitor writes in the header before the balancer's own entry is not believed
      assertThat(createFor(base, "a-4", "198.51.100.9, 203.0.113.1").statusCode()).isEqualTo(429);

      assertThat(send(HttpRequest.newBuilder(URI.create(base + "/s/a-1")).header("X-Forwarded-For", "203.0.113.77")).statusCode()).isEqualTo(302);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
              client.trigger(TriggerRequest.of("database::query", Map.of("db", "primary", "sql", "SELECT ip FROM clicks WHERE code = 'a-1'")))
                  .get("rows"))
          .isEqualTo(json("[{\"ip\":\"203.0.113.0\"}]")));
    }
  }

  @Test
  void withoutTrustedProxiesTheHeaderChangesNothing() throws Exception {
    try (Linkly linkly = start(Map.of("LINKLY_CREATE_RATE", "2"))) {
      String base = linkly.httpUrl();
      assertThat(createFor(base, "c-1", "203.0.113.1").statusCode()).isEqualTo(201);
      assertThat(createFor(base, "c-2", "203.0.113.2").statusCode()).isEqualTo(201);
      assertThat(createFor(base, "c-3", "203.0.113.3").statusCode()).as("any client can write the header").isEqualTo(429);
    }
    assertThatThrownBy(() -> start(Map.of("LINKLY_TRUSTED_PROXIES", "lb.internal")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LINKLY_TRUSTED_PROXIES: 'lb.internal' is not an IP address");
  }

  @Test
  void byDefaultAClientCreatesSixtyLinksAMinute() throws Exception {
    try (Linkly linkly = start(Map.of())) {
      for (int i = 1; i <= GuardSettings.DEFAULT_CREATE_RATE; i++) {
        assertThat(create(linkly.httpUrl(), "sixty-" + i, NO_TOKEN).statusCode()).as("link %d", i).isEqualTo(201);
      }
      assertThat(create(linkly.httpUrl(), "one-too-many", NO_TOKEN).statusCode()).isEqualTo(429);
    }
  }

  @Test
  void aCreateRateOfZeroTurnsTheLimitOff() throws Exception {
    try (Linkly linkly = start(Map.of("LINKLY_CREATE_RATE", "0"))) {
      for (int i = 0; i <= GuardSettings.DEFAULT_CREATE_RATE; i++) {
        assertThat(create(linkly.httpUrl(), "free-" + i, NO_TOKEN).statusCode()).isEqualTo(201);
      }
    }
  }

  @ParameterizedTest
  @CsvSource({
    "LINKLY_CREATE_RATE, abc", "LINKLY_CREATE_RATE, -1", "LINKLY_CREATE_RATE, 1.5", "LINKLY_CREATE_RATE, ' 60'",
    "LINKLY_CREATE_RATE, 99999999999", "LINKLY_API_TOKEN, 'two words'"
  })
  void aBadSettingStopsTheStartNamingIt(String variable, String value) {
    assertThatThrownBy(() -> start(Map.of(variable, value)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(variable + " must be");
  }

  // ------------------------------------------------------------------ helpers

  private static void assertUnauthorised(HttpResponse<String> response, String what) {
    assertThat(response.statusCode()).as(what).isEqualTo(401);
    assertThat(response.headers().firstValue("www-authenticate")).as(what).hasValue("Bearer realm=\"linkly\"");
    assertThat(response.headers().firstValue("content-type")).as(what).hasValue("application/json");
    assertThat(json(response.body())).as(what).isEqualTo(json("{\"error\":\"missing or invalid API token\"}"));
  }

  private static HttpRequest.Builder createRequest(String base, String code, String authorization) {
    return authorised(
        HttpRequest.newBuilder(URI.create(base + "/links"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"https://iii.dev/" + code + "\",\"code\":\"" + code + "\"}")),
        authorization);
  }

  private static HttpResponse<String> createFor(String base, String code, String forwardedFor) throws Exception {
    return send(createRequest(base, code, NO_TOKEN).header("X-Forwarded-For", forwardedFor));
  }

  private static HttpResponse<String> create(String base, String code, String authorization) throws Exception {
    return send(createRequest(base, code, authorization));
  }

  private static HttpResponse<String> update(String base, String code, String authorization) throws Exception {
    return send(authorised(
        HttpRequest.newBuilder(URI.create(base + "/links/" + code))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString("{\"url\":\"https://iii.dev/updated\"}")),
        authorization));
  }

  private static HttpResponse<String> importCsv(String base, String code, String authorization) throws Exception {
    return send(authorised(
        HttpRequest.newBuilder(URI.create(base + "/links/import"))
            .header("Content-Type", "text/csv")
            .POST(HttpRequest.BodyPublishers.ofString("code,url\n" + code + ",https://iii.dev/" + code + "\n")),
        authorization));
  }

  private static HttpRequest.Builder authorised(HttpRequest.Builder request, String authorization) {
    return authorization == null ? request : request.header("Authorization", authorization);
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return LinklyFixture.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
