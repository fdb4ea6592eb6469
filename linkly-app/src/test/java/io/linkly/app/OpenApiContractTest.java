package io.linkly.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /openapi.json} matches the routes: every route Linkly serves is in it, and every answer of
 * every documented operation, successes and errors alike, is valid against it.
 */
class OpenApiContractTest {

  private static final String TOKEN = "contract-token";
  private static final int CREATE_RATE = 12;

  @TempDir Path data;
  private String base;
  private OpenApiContract contract;
  private final Set<String> exercised = new LinkedHashSet<>();

  private HttpResponse<String> call(String method, String template, String path, String contentType, String body, boolean withToken) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    if (withToken) {
      request.header("Authorization", "Bearer " + TOKEN);
    }
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> response = LinklyFixture.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    contract.check(method, template, response);
    exercised.add(method + " " + template);
    return response;
  }

  /**
   * A GET with a path Java's HTTP client refuses to send (a malformed percent-escape), over a
   * plain socket: its status, after the answer was checked against the document.
   */
  private int rawGet(String template, String path) throws Exception {
    URI uri = URI.create(base);
    try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      int status = Integer.parseInt(answer.substring(9, 12));
      String head = answer.substring(0, answer.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
      String type = head.lines().filter(l -> l.startsWith("content-type:")).map(l -> l.substring(13).trim()).findFirst().orElse("");
      contract.check("GET", template, status, type, answer.substring(answer.indexOf("\r\n\r\n") + 4));
      exercised.add("GET " + template);
      return status;
    }
  }

  private HttpResponse<String> get(String template, String path) throws Exception {
    return call("GET", template, path, null, null, false);
  }

  private HttpResponse<String> write(String method, String template, String path, String json) throws Exception {
    return call(method, template, path, json == null ? null : "application/json", json, true);
  }

  @Test
  void everyRouteIsDocumentedAndEveryAnswerMatchesTheDocument() throws Exception {
    Map<String, String> env = new HashMap<>(LinklyFixture.env(data));
    env.put("LINKLY_API_TOKEN", TOKEN);
    env.put("LINKLY_CREATE_RATE", String.valueOf(CREATE_RATE));
    try (Linkly linkly = Linkly.start(Linkly.config(env::get), Clock.systemUTC()); Iii client = Iii.registerWorker(linkly.engine().workerUrl())) {
      base = linkly.httpUrl();
      JsonNode served = LinklyFixture.json(LinklyFixture.get(base + "/openapi.json").body());
      try (InputStream in = getClass().getResourceAsStream("/api/openapi.json")) {
        assertThat(served).as("the document served is the one in the jar").isEqualTo(LinklyFixture.json(new String(in.readAllBytes())));
      }
      contract = new OpenApiContract(served);
      get("/openapi.json", "/openapi.json");

      // links: create, read, list, change
      assertThat(write("POST", "/links", "/links", "{\"url\":\"https://iii.dev\",\"code\":\"doc\"}").statusCode()).isEqualTo(201);
      assertThat(write("POST", "/links", "/links", "{\"url\":\"iii.dev/x\",\"code\":\"lim\",\"max_clicks\":1,\"expires_at\":\"2099-01-01T00:00:00Z\"}").statusCode())
          .isEqualTo(201);
      assertThat(write("POST", "/links", "/links", "{\"url\":\"https://iii.dev/gen\"}").statusCode()).isEqualTo(201);
      assertThat(write("POST", "/links", "/links", "{\"code\":\"nourl\"}").statusCode()).isEqualTo(400);
      assertThat(write("POST", "/links", "/links", "{\"url\":\"https://iii.dev\",\"max_clicks\":0}").statusCode()).isEqualTo(400);
      assertThat(write("POST", "/links", "/links", "{\"url\":\"https://iii.dev\",\"code\":\"doc\"}").statusCode()).isEqualTo(409);
      assertThat(call("POST", "/links", "/links", "application/json", "{\"url\":\"https://iii.dev\"}", false).statusCode()).isEqualTo(401);
      assertThat(get("/links/{code}", "/links/doc").statusCode()).isEqualTo(200);
      assertThat(get("/links/{code}", "/links/lim").statusCode()).isEqualTo(200);
      assertThat(get("/links/{code}", "/links/nobody").statusCode()).isEqualTo(404);
      assertThat(rawGet("/links/{code}", "/links/%zz")).isEqualTo(400);
      assertThat(get("/links", "/links").statusCode()).isEqualTo(200);
      assertThat(get("/links", "/links?q=doc&limit=1").statusCode()).isEqualTo(200);
      assertThat(get("/links", "/links?limit=0").statusCode()).isEqualTo(400);
      assertThat(write("PUT", "/links/{code}", "/links/doc", "{\"url\":\"https://iii.dev/changed\",\"fallback_url\":\"https://iii.dev/fb\"}").statusCode())
          .isEqualTo(200);
      assertThat(write("PUT", "/links/{code}", "/links/nobody", "{\"url\":\"https://iii.dev\"}").statusCode()).isEqualTo(404);
      assertThat(write("PUT", "/links/{code}", "/links/doc", "{}").statusCode()).isEqualTo(400);
      assertThat(call("PUT", "/links/{code}", "/links/doc", "application/json", "{\"url\":\"https://iii.dev\"}", false).statusCode()).isEqualTo(401);

      // redirects
      assertThat(get("/s/{code}", "/s/lim").statusCode()).isEqualTo(302);
      assertThat(get("/s/{code}", "/s/lim").statusCode()).isEqualTo(410);
      assertThat(get("/s/{code}", "/s/nobody").statusCode()).isEqualTo(404);
      assertThat(rawGet("/s/{code}", "/s/%zz")).isEqualTo(400);
      await().atMost(Duration.ofSeconds(20)).until(() ->
          client.trigger(TriggerRequest.of("database::query", Map.of("db", "primary", "sql", "SELECT COUNT(*) AS n FROM clicks"))).get("rows").get(0).get("n").asInt() == 1);

      // statistics and QR codes
      assertThat(get("/links/{code}/stats", "/links/lim/stats").statusCode()).isEqualTo(200);
      assertThat(get("/links/{code}/stats", "/links/lim/stats?from=2026-01-01&to=2099-01-01").statusCode()).isEqualTo(200);
      assertThat(get("/links/{code}/stats", "/links/lim/stats?from=yesterday").statusCode()).isEqualTo(400);
      assertThat(get("/links/{code}/stats", "/links/nobody/stats").statusCode()).isEqualTo(404);
      assertThat(get("/links/{code}/qr.svg", "/links/doc/qr.svg").statusCode()).isEqualTo(200);
      assertThat(get("/links/{code}/qr.svg", "/links/nobody/qr.svg").statusCode()).isEqualTo(404);
      assertThat(get("/links/{code}/qr.png", "/links/doc/qr.png?size=128").statusCode()).isEqualTo(200);
      assertThat(get("/links/{code}/qr.png", "/links/doc/qr.png?size=1").statusCode()).isEqualTo(400);
      assertThat(get("/links/{code}/qr.png", "/links/nobody/qr.png").statusCode()).isEqualTo(404);

      // bulk import
      assertThat(call("POST", "/links/import", "/links/import", "text/csv", "code,url\nimp1,https://iii.dev/1\n", true).statusCode()).isEqualTo(200);
      assertThat(call("POST", "/links/import", "/links/import?mode=sometimes", "text/csv", "code,url\n", true).statusCode()).isEqualTo(400);
      assertThat(call("POST", "/links/import", "/links/import", "text/csv", "code,url\n", false).statusCode()).isEqualTo(401);

      // deletion
      assertThat(write("DELETE", "/links/{code}", "/links/doc", null).statusCode()).isEqualTo(200);
      assertThat(write("DELETE", "/links/{code}", "/links/doc", null).statusCode()).isEqualTo(404);
      assertThat(call("DELETE", "/links/{code}", "/links/lim", null, null, false).statusCode()).isEqualTo(401);

      // the creation limit: this client has created 4 links (one import counts once) of CREATE_RATE a minute
      int status = 0;
      for (int i = 0; i < CREATE_RATE && status != 429; i++) {
        status = write("POST", "/links", "/links", "{\"url\":\"https://iii.dev/many\"}").statusCode();
      }
      assertThat(status).isEqualTo(429);

      assertThat(exercised).as("every documented operation was called").containsExactlyInAnyOrderElementsOf(contract.operations());
      assertThat(httpRoutes(client)).as("every API route is documented").containsExactlyInAnyOrderElementsOf(contract.operations());
    }
  }

  /** The HTTP routes Linkly registered, as {@code "GET /links/{code}"}, leaving out the dashboard's pages. */
  private static List<String> httpRoutes(Iii client) {
    JsonNode listed = client.trigger(TriggerRequest.of("engine::registered-triggers::list", Map.of("trigger_type", "http")));
    List<String> out = new java.util.ArrayList<>();
    for (JsonNode trigger : listed.get("registered_triggers")) {
      String path = trigger.get("config").get("api_path").asText();
      if (path.equals("/") || path.startsWith("/dashboard/")) {
        continue; // the dashboard's page and files, not the API
      }
      out.add(trigger.get("config").get("http_method").asText().toUpperCase() + " " + path.replaceAll(":([a-z_]+)", "{$1}"));
    }
    return out;
  }
}
