package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.Linkly;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LINKLY.md Ch. 7 in a real browser: Linkly's dashboard in headless Chromium (Debian's {@code
 * chromium}, driven by {@code interop/node/dashboard.mjs} with playwright-core) against a whole
 * Linkly. The clicks are real HTTP redirects; screenshots of the dashboard are left in {@code
 * interop/target/dashboard.png} and (a link's stats) {@code dashboard-stats.png}.
 */
class DashboardBrowserIT {

  static final String CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
  static final String GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
  static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
  private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @TempDir Path data;
  private Linkly linkly;
  private NodeWorker browser;

  @BeforeAll
  static void chromiumIsAvailable() {
    NodeRuntime.require();
    String problem = null;
    if (!Files.isExecutable(CHROMIUM)) {
      problem = CHROMIUM + " is missing (apt-get install chromium; .ci/run installs it)";
    } else if (!Files.isDirectory(NodeRuntime.NODE_DIR.resolve("node_modules/playwright-core"))) {
      problem = "playwright-core is missing from " + NodeRuntime.NODE_DIR + "/node_modules (npm ci)";
    }
    NodeRuntime.requireThat(problem, "headless chromium");
  }

  @BeforeEach
  void start() throws Exception {
    Map<String, String> env =
        Map.of("III_PORT", "0", "LINKLY_HTTP_PORT", "0", "LINKLY_STREAM_PORT", "0", "LINKLY_BROWSER_PORT", "0", "LINKLY_DATA", data.toString());
    linkly = Linkly.start(Linkly.config(env::get), Clock.systemUTC());
    browser =
        NodeWorker.start(
            "dashboard",
            List.of("node", "dashboard.mjs"),
            Map.of("CHROMIUM", CHROMIUM.toString(), "LIFETIME_MS", "170000"),
            "DashboardBrowserIT");
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.close();
    }
    linkly.close();
  }

  private JsonNode command(String name, Map<String, ?> fields, String answer) {
    int before = browser.events(answer).size();
    browser.command(name, fields);
    return browser.awaitCount(answer, before + 1).get(before);
  }

  private int get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(linkly.httpUrl() + path)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** A redirect as a browser (or a crawler) makes it, with its user agent and the page it came from. */
  private int visit(String code, String userAgent, String referer) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(linkly.httpUrl() + "/s/" + code)).header("User-Agent", userAgent);
    if (referer != null) {
      request.header("Referer", referer);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private String getBody(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(linkly.httpUrl() + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private int create(String code) throws Exception {
    String json = "{\"url\":\"https://iii.dev/" + code + "\",\"code\":\"" + code + "\"}";
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(linkly.httpUrl() + "/links")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static JsonNode json(String text) throws Exception {
    return Json.mapper().readTree(text.replace('\'', '"'));
  }

  @Test
  void theDashboardCountsCreatesAndDeletesLiveInEveryTab() throws Exception {
    String page = linkly.httpUrl() + "/";
    command("open", Map.of("name", "one", "url", page), "opened");
    command("open", Map.of("name", "two", "url", page), "opened");

    // created in the form: link::create called from the tab, no REST call
    JsonNode created = command("create", Map.of("name", "one", "url", "https://iii.dev/live", "code", "live"), "created");
    assertThat(created.get("text").asText()).contains("live");
    assertThat(get("/s/live")).isEqualTo(302);
    assertThat(get("/s/live")).isEqualTo(302);
    assertThat(get("/s/live")).isEqualTo(302);
    JsonNode counted = command("count", Map.of("name", "one", "code", "live", "count", 3, "total", 3), "counted");
    command("count", Map.of("name", "two", "code", "live", "count", 3, "total", 3), "counted");
    System.out.println("[dashboard] 3 clicks shown in tab one " + counted.get("waited_ms").asLong() + " ms after the third redirect");

    // the engine cuts every browser connection; a click lands while the tabs are away
    for (Worker tab : linkly.engine().core().workers()) {
      if (!tab.isBuiltin() && !tab.access().isOpen()) {
        tab.connection().close("test: listener connection killed");
      }
    }
    assertThat(get("/s/live")).isEqualTo(302);
    command("count", Map.of("name", "one", "code", "live", "count", 4, "total", 4), "counted");
    command("count", Map.of("name", "two", "code", "live", "count", 4, "total", 4), "counted");
    command("state", Map.of("name", "one", "state", "connected"), "state");

    Path shot = NodeRuntime.NODE_DIR.resolveSibling("target/dashboard.png");
    command("screenshot", Map.of("name", "one", "path", shot.toString()), "screenshot");
    assertThat(shot).isNotEmptyFile();

    // delete through the confirm dialog: dismissed keeps the link, accepted removes it everywhere
    JsonNode kept = command("delete", Map.of("name", "one", "code", "live", "accept", false), "delete-answered");
    assertThat(kept.get("message").asText()).isEqualTo("Confirm: delete link \"live\"?");
    assertThat(kept.get("row_present").asBoolean()).isTrue();
    assertThat(get("/s/live")).isEqualTo(302);
    command("count", Map.of("name", "two", "code", "live", "count", 5, "total", 5), "counted");
    JsonNode deleted = command("delete", Map.of("name", "one", "code", "live", "accept", true), "delete-answered");
    assertThat(deleted.get("row_present").asBoolean()).isFalse();
    assertThat(get("/s/live")).isEqualTo(404);
  }

  @Test
  void aSelectedLinkShowsItsStatsAndTheClicksThatFollow() throws Exception {
    assertThat(create("stats")).isEqualTo(201);
    assertThat(create("elsewhere")).isEqualTo(201);
    assertThat(visit("stats", CHROME, "https://news.example.org/a")).isEqualTo(302);
    assertThat(visit("stats", CHROME, "https://news.example.org/b")).isEqualTo(302);
    assertThat(visit("stats", "curl/8.4.0", null)).isEqualTo(302);
    command("open", Map.of("name", "one", "url", linkly.httpUrl() + "/", "holdable", true), "opened");
    command("count", Map.of("name", "one", "code", "stats", "count", 3, "total", 3), "counted"); // all three recorded
    // links made over HTTP before the tab opened show their targets, also one nobody clicked
    assertThat(command("url", Map.of("name", "one", "code", "elsewhere"), "url").get("url").asText()).isEqualTo("https://iii.dev/elsewhere");
    assertThat(command("url", Map.of("name", "one", "code", "stats"), "url").get("url").asText()).isEqualTo("https://iii.dev/stats");

    // a click whose live event is still on its way when the stats are fetched: the answer counts
    // it, and the event, arriving after, must not count it again
    command("hold", Map.of("name", "one"), "holding");
    assertThat(visit("stats", CHROME, "https://news.example.org/c")).isEqualTo(302);
    await().atMost(Duration.ofSeconds(15)).until(() -> json(getBody("/links/stats/stats")).get("total").asInt() == 4);

    // selecting the row fetches link::stats
    String today = LocalDate.now(ZoneOffset.UTC).toString();
    JsonNode shown = command("select", Map.of("name", "one", "code", "stats"), "selected");
    assertThat(shown.get("total").asText()).isEqualTo("4");
    assertThat(shown.get("bots").asText()).isEqualTo("0");
    assertThat(shown.get("days")).isEqualTo(json("[{'day':'" + today + "','clicks':4}]"));
    assertThat(shown.get("referrers")).isEqualTo(json("[{'name':'news.example.org','clicks':'3'},{'name':'(direct)','clicks':'1'}]"));
    assertThat(shown.get("browsers")).isEqualTo(json("[{'name':'Chrome','clicks':'3'},{'name':'curl','clicks':'1'}]"));
    assertThat(shown.get("os")).isEqualTo(json("[{'name':'Windows','clicks':'3'},{'name':'Other','clicks':'1'}]"));
    assertThat(shown.get("devices")).isEqualTo(json("[{'name':'desktop','clicks':'3'},{'name':'other','clicks':'1'}]"));
    JsonNode released = command("release", Map.of("name", "one"), "released");
    assertThat(released.get("count").asInt()).as("the held click").isEqualTo(1);
    assertThat(released.get("total").asText()).as("counted once").isEqualTo("4");

    // then clicks arrive live on the stream and are folded in, no refetch: a crawler's, another
    // link's (not this panel's business), and a person's from a new referrer
    assertThat(visit("stats", GOOGLEBOT, "https://news.example.org/")).isEqualTo(302);
    command("stats", Map.of("name", "one", "code", "stats", "total", 4, "bots", 1), "stats");
    assertThat(visit("elsewhere", CHROME, null)).isEqualTo(302);
    assertThat(visit("stats", CHROME, "https://t.co/x")).isEqualTo(302);
    command("count", Map.of("name", "one", "code", "elsewhere", "count", 1, "total", 6), "counted");
    JsonNode live = command("stats", Map.of("name", "one", "code", "stats", "total", 5, "bots", 1), "stats");
    assertThat(live.get("days")).isEqualTo(json("[{'day':'" + today + "','clicks':5}]"));
    assertThat(live.get("referrers"))
        .isEqualTo(json("[{'name':'news.example.org','clicks':'3'},{'name':'(direct)','clicks':'1'},{'name':'t.co','clicks':'1'}]"));
    assertThat(live.get("browsers")).isEqualTo(json("[{'name':'Chrome','clicks':'4'},{'name':'curl','clicks':'1'}]"));
    assertThat(live.get("csp_violations")).as("the panel draws within the page's CSP").isEmpty();
    Path shot = NodeRuntime.NODE_DIR.resolveSibling("target/dashboard-stats.png");
    command("screenshot", Map.of("name", "one", "path", shot.toString()), "screenshot");
    assertThat(shot).isNotEmptyFile();
  }

  @Test
  void aWrongTokenIsRefusedAndSaysSo() {
    JsonNode refused = command("open", Map.of("name", "intruder", "url", linkly.httpUrl() + "/?token=wrong", "state", "unauthorized"), "opened");
    assertThat(refused.get("state").asText()).isEqualTo("unauthorized");
    assertThat(linkly.engine().core().workers().stream().filter(w -> !w.isBuiltin() && !w.access().isOpen())).isEmpty();
  }
}
