package io.linkly.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

/** Linkly on ephemeral ports with its data in a test directory, plus an HTTP client for it. */
public final class LinklyFixture {

  static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  /**
   * The environment Linkly's config reads: ephemeral ports, data under {@code dataDir}, and no
   * limit on links created a minute (tests create dozens from one address; ApiGuardTest checks
   * the limit and its default).
   */
  public static Map<String, String> env(Path dataDir) {
    return Map.of(
        "III_PORT", "0", "LINKLY_HTTP_PORT", "0", "LINKLY_STREAM_PORT", "0", "LINKLY_BROWSER_PORT", "0", "LINKLY_DATA", dataDir.toString(),
        "LINKLY_CREATE_RATE", "0");
  }

  static HttpResponse<String> post(String url, String json) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(String text) {
    try {
      return Json.mapper().readTree(text);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  private LinklyFixture() {}
}
