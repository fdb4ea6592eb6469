package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.Linkly;
import io.linkly.iii.engine.core.Worker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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
 * Linkly. The clicks are real HTTP redirects; a screenshot of the dashboard is left in {@code
 * interop/target/dashboard.png}.
 */
class DashboardBrowserIT {

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
  void aWrongTokenIsRefusedAndSaysSo() {
    JsonNode refused = command("open", Map.of("name", "intruder", "url", linkly.httpUrl() + "/?token=wrong", "state", "unauthorized"), "opened");
    assertThat(refused.get("state").asText()).isEqualTo("unauthorized");
    assertThat(linkly.engine().core().workers().stream().filter(w -> !w.isBuiltin() && !w.access().isOpen())).isEmpty();
  }
}
