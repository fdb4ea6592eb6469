package io.linkly.app.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.link.HttpResponses;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerBinding;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code dashboard} worker (LINKLY.md Ch. 7): serves the browser dashboard over
 * {@code iii-http}. {@code GET /} is the page, {@code GET /dashboard/<file>} one of its assets
 * (a fixed list, read once from the classpath folder {@code dashboard/}), and
 * {@code GET /dashboard/config.json} tells the page where to connect. Once loaded, the page is a
 * worker of its own on the browser listener; this worker only hands it its files.
 */
public final class DashboardWorker {

  public static final String NAME = "dashboard";
  private static final Logger log = LoggerFactory.getLogger(DashboardWorker.class);
  private static final String HTML = "text/html; charset=utf-8";
  private static final String JAVASCRIPT = "text/javascript; charset=utf-8";
  /** The browser worker client, copied into the jar from the repository's {@code browser/}. */
  private static final String CLIENT = "iii-browser.js";

  /**
   * Every file the page may ask for and its type. A request names one of these exactly or gets a
   * 404: the name is only ever a map key, never a path, so {@code ..} or {@code %2F} reach nothing.
   */
  private static final Map<String, String> ASSETS =
      Map.of("dashboard.js", JAVASCRIPT, "dashboard.css", "text/css; charset=utf-8", CLIENT, JAVASCRIPT);

  private static final String INDEX = "index.html";

  private final Iii iii;
  private final Supplier<String> browserWorkerUrl;
  private final Map<String, String> files = new HashMap<>();

  /** {@code browserWorkerUrl} is asked on every config request, so it may change while running. */
  public DashboardWorker(Iii iii, Supplier<String> browserWorkerUrl) {
    this.iii = iii;
    this.browserWorkerUrl = browserWorkerUrl;
  }

  public void start() {
    load(INDEX);
    ASSETS.keySet().forEach(this::load);
    iii.registerFunction("dashboard::page", (data, ctx) -> page());
    iii.registerFunction("dashboard::asset", (data, ctx) -> asset(data));
    iii.registerFunction("dashboard::config", (data, ctx) -> config());
    iii.registerTrigger(TriggerBinding.of("http", "dashboard::page", Map.of("api_path", "/", "http_method", "GET")));
    iii.registerTrigger(TriggerBinding.of("http", "dashboard::asset", Map.of("api_path", "/dashboard/:file", "http_method", "GET")));
    // a static segment wins over :file, so the config is never looked up as an asset
    iii.registerTrigger(TriggerBinding.of("http", "dashboard::config", Map.of("api_path", "/dashboard/config.json", "http_method", "GET")));
    iii.logger(NAME).info("dashboard ready");
  }

  /**
   * Reads a file of the page into memory; a file missing from the jar is served as a 404. The
   * browser client comes from {@code browser/} at build time: without it the page still loads and
   * says so, which is why its absence is only noted.
   */
  private void load(String name) {
    try (InputStream in = DashboardWorker.class.getResourceAsStream("/dashboard/" + name)) {
      String text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      if (text.isBlank()) {
        if (name.equals(CLIENT)) {
          log.info("dashboard/{} is missing or empty in the jar (built without browser/{}): the page cannot connect", name, name);
        } else {
          log.warn("dashboard/{} is missing or empty in the jar; the dashboard cannot work without it", name);
        }
        return;
      }
      files.put(name, text);
    } catch (IOException e) {
      log.warn("dashboard/{} could not be read: {}", name, e.toString());
    }
  }

  Map<String, Object> page() {
    String html = files.get(INDEX);
    return html == null ? notFound() : text(HTML, html);
  }

  Map<String, Object> asset(JsonNode request) {
    String name = request.path("path_params").path("file").asText("");
    String type = ASSETS.get(name);
    String body = type == null ? null : files.get(name);
    return body == null ? notFound() : text(type, body);
  }

  Map<String, Object> config() {
    return HttpResponses.of(200, Map.of("content-type", "application/json", "cache-control", "no-cache"), Map.of("worker_url", browserWorkerUrl.get()));
  }

  private Map<String, Object> text(String type, String body) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("content-type", type);
    headers.put("cache-control", "no-cache");
    headers.put("x-content-type-options", "nosniff");
    headers.put("referrer-policy", "no-referrer"); // the page's address may carry the token
    if (type.equals(HTML)) {
      headers.put("content-security-policy", contentSecurityPolicy());
    }
    return HttpResponses.of(200, headers, body);
  }

  /**
   * The page loads only its own files and talks only to this server and the browser listener; no
   * other page may frame it (a framed Delete button could be clicked through).
   */
  private String contentSecurityPolicy() {
    String connect = "'self'";
    try {
      URI worker = URI.create(browserWorkerUrl.get());
      if (worker.getScheme() != null && worker.getHost() != null) {
        connect += " " + worker.getScheme() + "://" + worker.getHost() + (worker.getPort() >= 0 ? ":" + worker.getPort() : "");
      }
    } catch (IllegalArgumentException e) {
      // no worker origin to allow: the page will report that it cannot connect
    }
    return "default-src 'self'; connect-src " + connect + "; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none';"
        + " frame-ancestors 'none'";
  }

  private static Map<String, Object> notFound() {
    return HttpResponses.json(404, Map.of("error", "not found"));
  }
}
