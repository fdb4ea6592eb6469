package io.linkly.app;

import static io.linkly.app.LinklyFixture.get;
import static io.linkly.app.LinklyFixture.json;
import static io.linkly.app.LinklyFixture.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerRequest;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** LINKLY.md Ch. 1 and Ch. 3 "see it work", over real HTTP, plus the validation we add. */
class LinklyHttpTest {

  @TempDir static Path data;
  private static Linkly linkly;
  private static Iii client;
  private static String base;

  @BeforeAll
  static void start() throws Exception {
    linkly = Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC());
    client = Iii.registerWorker(linkly.engine().workerUrl());
    base = linkly.httpUrl();
  }

  @AfterAll
  static void stop() {
    client.shutdown();
    linkly.close();
  }

  private static JsonNode call(String function, Object payload) {
    return client.trigger(TriggerRequest.of(function, payload));
  }

  @Test
  void theEmbeddedConfigNeedsNoEnvironment() throws Exception {
    // ./linkly on a fresh machine sets nothing: every placeholder must have a default
    io.linkly.iii.engine.config.EngineConfig config = Linkly.config(name -> null);
    assertThat(config.entries("iii-http").get(0).config().get("port").asInt()).isEqualTo(3111);
    assertThat(config.entries("iii-stream").get(0).config().get("port").asInt()).isEqualTo(3112);
    assertThat(config.entries("database").get(0).config().at("/databases/primary/url").asText()).isEqualTo("sqlite:./data/iii.db");
  }

  @Test
  void chapterOneFunctions() {
    assertThat(call("link::create", Map.of("url", "https://iii.dev", "code", "iii-fn")))
        .isEqualTo(json("{\"code\":\"iii-fn\",\"url\":\"https://iii.dev\"}"));
    assertThat(call("link::resolve", Map.of("code", "iii-fn"))).isEqualTo(json("{\"url\":\"https://iii.dev\"}"));
    assertThat(call("link::resolve", Map.of("code", "nope"))).isEqualTo(json("{\"url\":null}"));
  }

  @Test
  void chapterOneOverHttp() throws Exception {
    HttpResponse<String> created = post(base + "/links", "{\"url\":\"https://example.com\",\"code\":\"demo\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(json(created.body())).isEqualTo(json("{\"code\":\"demo\",\"url\":\"https://example.com\"}"));

    post(base + "/links", "{\"url\":\"http://iii.dev/docs/understanding-iii\",\"code\":\"learn-iii\"}");
    HttpResponse<String> redirect = get(base + "/s/learn-iii");
    assertThat(redirect.statusCode()).isEqualTo(302);
    assertThat(redirect.headers().firstValue("location")).hasValue("http://iii.dev/docs/understanding-iii");
    assertThat(redirect.body()).isEmpty();

    HttpResponse<String> missing = get(base + "/s/missing");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(json(missing.body())).isEqualTo(json("{\"error\":\"link not found\"}"));

    HttpResponse<String> noUrl = post(base + "/links", "{\"code\":\"x\"}");
    assertThat(noUrl.statusCode()).isEqualTo(400);
    assertThat(json(noUrl.body())).isEqualTo(json("{\"error\":\"missing \\\"url\\\"\"}"));
  }

  @Test
  void chapterThreeClicksAreRowsInSqlite() throws Exception {
    post(base + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"iii\"}");
    for (int i = 0; i < 3; i++) {
      assertThat(get(base + "/s/iii").statusCode()).isEqualTo(302);
    }
    // since Ch. 4 the click is recorded by the queue consumer, a moment after the redirect
    org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(
            call("database::query", Map.of("db", "primary", "sql", "SELECT COUNT(*) AS clicks FROM clicks WHERE code = 'iii'")))
        .isEqualTo(json("{\"columns\":[{\"name\":\"clicks\",\"type\":\"\"}],\"row_count\":1,\"rows\":[{\"clicks\":3}]}")));
    assertThat(get(base + "/s/unknown-code").statusCode()).isEqualTo(404);
    JsonNode none = call("database::query", Map.of("db", "primary", "sql", "SELECT COUNT(*) AS n FROM clicks WHERE code = 'unknown-code'"));
    assertThat(none.get("rows").get(0).get("n").asInt()).as("a miss records no click").isZero();
  }

  @Test
  void aDuplicateCodeIs409AndLeavesTheFirstLinkAlone() throws Exception {
    assertThat(post(base + "/links", "{\"url\":\"https://first.example\",\"code\":\"dup\"}").statusCode()).isEqualTo(201);
    HttpResponse<String> again = post(base + "/links", "{\"url\":\"https://second.example\",\"code\":\"dup\"}");
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(json(again.body())).isEqualTo(json("{\"error\":\"code already exists\"}"));
    assertThat(get(base + "/s/dup").headers().firstValue("location")).hasValue("https://first.example");
    try {
      call("link::create", Map.of("url", "https://third.example", "code", "dup"));
      throw new AssertionError("expected a CODE_EXISTS error");
    } catch (IiiException e) {
      assertThat(e.code()).isEqualTo("CODE_EXISTS");
    }
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"url\":\"javascript:alert(1)\"}|not javascript:",
        "{\"url\":\"data:text/html,hi\"}|not data:",
        "{\"url\":\"ftp://x.example/f\"}|not ftp:",
        "{\"url\":\"not a url\"}|spaces",
        "{\"url\":\"https://iii.dev/\\u0007\"}|control characters",
        "{\"url\":\"https://\"}|host",
        "{\"url\":42}|must be strings",
        "{\"url\":\"https://iii.dev\",\"code\":\"has space\"}|\\\"code\\\" must be",
        "{\"url\":\"https://iii.dev\",\"code\":\"slash/es\"}|\\\"code\\\" must be",
        "{\"url\":\"https://google.com@evil.com/\"}|must not contain user info",
        "{\"url\":\"https://example.com:99999/\"}|invalid port 99999",
        "{\"url\":\"https://example.com:0/\"}|invalid port 0",
        "{\"url\":|not valid JSON",
        "[{\"url\":\"https://iii.dev\"}]|must be a JSON object",
        "\"https://iii.dev\"|must be a JSON object",
      })
  void badLinksGet400NamingTheProblem(String body, String problem) throws Exception {
    HttpResponse<String> response = post(base + "/links", body);
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(json(response.body()).get("error").asText()).contains(problem.replace("\\\"", "\""));
  }

  @Test
  void aLinkSentAsAnythingButJsonIsToldToSendJson() throws Exception {
    HttpResponse<String> response =
        LinklyFixture.HTTP.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/links"))
                .header("Content-Type", "text/plain")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"url\":\"https://iii.dev\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(json(response.body()).get("error").asText()).isEqualTo("the body must be JSON, sent with Content-Type: application/json (not text/plain)");
  }

  @Test
  void aNonAsciiUrlIsStoredAndRedirectedToInAscii() throws Exception {
    HttpResponse<String> created = post(base + "/links", "{\"url\":\"https://ja.wikipedia.org/wiki/日本\",\"code\":\"nihon\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    String ascii = "https://ja.wikipedia.org/wiki/%E6%97%A5%E6%9C%AC";
    assertThat(json(created.body()).get("url").asText()).isEqualTo(ascii);
    assertThat(get(base + "/s/nihon").headers().firstValue("location")).hasValue(ascii);
  }

  @Test
  void headOnAShortLinkIsTheRedirectWithoutABody() throws Exception {
    post(base + "/links", "{\"url\":\"https://iii.dev/head\",\"code\":\"head-me\"}");
    HttpResponse<String> head =
        LinklyFixture.HTTP.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/s/head-me"))
                .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(head.statusCode()).isEqualTo(302);
    assertThat(head.headers().firstValue("location")).hasValue("https://iii.dev/head");
    assertThat(head.body()).isEmpty();
  }

  @Test
  void aPercentEncodedCodeFindsItsLinkAndAMalformedOneIs400() throws Exception {
    post(base + "/links", "{\"url\":\"https://iii.dev/pct\",\"code\":\"pct\"}");
    HttpResponse<String> redirect = get(base + "/s/%70%63%74");
    assertThat(redirect.statusCode()).isEqualTo(302);
    assertThat(redirect.headers().firstValue("location")).hasValue("https://iii.dev/pct");
    // java.net.URI refuses to build this URL, so it goes over a plain socket
    URI url = URI.create(base);
    try (Socket socket = new Socket(url.getHost(), url.getPort())) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write("GET /s/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(response).startsWith("HTTP/1.1 400 ");
      assertThat(json(response.substring(response.indexOf("\r\n\r\n") + 4)).get("error").toString()).contains("percent-escape");
    }
  }

  @Test
  void aSchemeLessUrlGetsHttps() throws Exception {
    HttpResponse<String> created = post(base + "/links", "{\"url\":\"example.com/path\",\"code\":\"bare\"}");
    assertThat(json(created.body()).get("url").asText()).isEqualTo("https://example.com/path");
  }

  @Test
  void generatedCodesAreDistinct() throws Exception {
    Set<String> codes = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      HttpResponse<String> created = post(base + "/links", "{\"url\":\"https://gen.example/" + i + "\"}");
      assertThat(created.statusCode()).isEqualTo(201);
      String code = json(created.body()).get("code").asText();
      assertThat(code).matches("[a-z0-9]{6}");
      codes.add(code);
      assertThat(get(base + "/s/" + code).headers().firstValue("location")).hasValue("https://gen.example/" + i);
    }
    assertThat(codes).hasSize(50);
  }
}
