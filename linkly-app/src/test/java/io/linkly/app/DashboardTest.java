package io.linkly.app;

import static io.linkly.app.LinklyFixture.get;
import static io.linkly.app.LinklyFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LINKLY.md Ch. 7: the dashboard page and its files, served over iii-http. */
class DashboardTest {

  @TempDir static Path data;
  private static Linkly linkly;

  @BeforeAll
  static void start() throws Exception {
    linkly = Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    linkly.close();
  }

  @Test
  void theRootIsThePage() throws Exception {
    HttpResponse<String> page = get(linkly.httpUrl() + "/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(page.headers().firstValue("cache-control")).hasValue("no-cache");
    assertThat(page.headers().firstValue("content-security-policy").orElseThrow())
        .contains("connect-src 'self' " + linkly.browserWorkerUrl(), "frame-ancestors 'none'");
    assertThat(page.body()).contains("<script type=\"module\" src=\"/dashboard/dashboard.js\"></script>", "id=\"state\"", "id=\"total\"",
        "id=\"create-form\"", "id=\"stats\"", "id=\"stats-days\"", "id=\"stats-referrers\"");
  }

  @Test
  void theAssetsComeWithTheirTypes() throws Exception {
    HttpResponse<String> script = get(linkly.httpUrl() + "/dashboard/dashboard.js");
    assertThat(script.statusCode()).isEqualTo(200);
    assertThat(script.headers().firstValue("content-type")).hasValue("text/javascript; charset=utf-8");
    assertThat(script.body()).contains("import('./iii-browser.js')");
    HttpResponse<String> style = get(linkly.httpUrl() + "/dashboard/dashboard.css");
    assertThat(style.statusCode()).isEqualTo(200);
    assertThat(style.headers().firstValue("content-type")).hasValue("text/css; charset=utf-8");
  }

  @Test
  void theConfigSaysWhereTheBrowserWorkerConnects() throws Exception {
    HttpResponse<String> config = get(linkly.httpUrl() + "/dashboard/config.json");
    assertThat(config.statusCode()).isEqualTo(200);
    assertThat(config.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(json(config.body()).get("worker_url").asText()).isEqualTo(linkly.browserWorkerUrl() + "/");
  }

  @Test
  void onlyTheKnownFilesAreServed() throws Exception {
    for (String path : new String[] {"/dashboard/nope.js", "/dashboard/index.html", "/dashboard/..%2Flinkly.yaml", "/dashboard/%2e%2e",
        "/dashboard/logback.xml", "/dashboard/DASHBOARD.JS"}) {
      HttpResponse<String> response = get(linkly.httpUrl() + path);
      assertThat(response.statusCode()).as(path).isEqualTo(404);
      assertThat(json(response.body()).get("error").asText()).as(path).isEqualTo("not found");
    }
    HttpResponse<String> outside = get(linkly.httpUrl() + "/dashboard/../linkly.yaml");
    assertThat(outside.statusCode()).isEqualTo(404);
    assertThat(outside.body()).doesNotContain("workers:");
  }
}
