package io.linkly.app.qr;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.zxing.common.BitMatrix;
import io.linkly.app.link.HttpResponses;
import io.linkly.app.link.PathParam;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.sdk.ChannelWriter;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.Logger;
import io.linkly.iii.sdk.TriggerBinding;
import io.linkly.iii.sdk.TriggerRequest;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The {@code qr} worker: a QR code of a link's short URL, {@code GET /links/:code/qr.svg} and
 * {@code GET /links/:code/qr.png?size=256}. The short URL is {@code LINKLY_PUBLIC_URL/s/<code>},
 * else {@code http://<Host header>/s/<code>}. The PNG is binary, which a handler's JSON result
 * cannot carry, so it is streamed through the request's {@code response} channel (BUILTINS.md
 * §9.3–9.4).
 */
public final class QrWorker {

  public static final String NAME = "qr";
  public static final String PUBLIC_URL = "LINKLY_PUBLIC_URL";
  static final int MIN_SIZE = 64;
  static final int MAX_SIZE = 2048;
  static final int DEFAULT_SIZE = 256;
  private static final String CACHE_CONTROL = "public, max-age=86400";
  /** Host names, IPv4 and bracketed IPv6 addresses, with a port; 255 is DNS's limit plus a port. */
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.\\-:\\[\\]]{1,260}");
  private static final Pattern SIZE = Pattern.compile("[0-9]{1,4}");

  private final Iii iii;
  private final Optional<String> publicUrl;
  private final Logger log;

  /** {@code publicUrl} as {@link #publicUrl(Function)} reads it; empty: short URLs take the request's host. */
  public QrWorker(Iii iii, Optional<String> publicUrl) {
    this.iii = iii;
    this.publicUrl = publicUrl;
    this.log = iii.logger(NAME);
  }

  /**
   * {@code LINKLY_PUBLIC_URL} without trailing slashes, empty when unset or empty.
   *
   * @throws ConfigException when it is not an absolute http(s) URL in ASCII without a query or fragment
   */
  public static Optional<String> publicUrl(Function<String, String> env) throws ConfigException {
    String value = env.apply(PUBLIC_URL);
    if (value == null || value.isEmpty()) {
      return Optional.empty();
    }
    String trimmed = value.replaceAll("/+$", "");
    String problem = null;
    try {
      URI uri = new URI(trimmed);
      if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
        problem = "must start with http:// or https://";
      } else if (uri.getHost() == null) {
        problem = "has no host";
      } else if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
        problem = "must not have a query or fragment";
      } else if (!trimmed.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        problem = "must be ASCII (percent-encode the path, punycode the host)";
      }
    } catch (URISyntaxException e) {
      problem = "is not a URL (" + e.getReason() + ")";
    }
    if (problem != null) {
      throw new ConfigException(PUBLIC_URL + " " + problem + ", e.g. https://lin.ky; got '" + value + "'");
    }
    return Optional.of(trimmed);
  }

  public void start() {
    iii.registerFunction("http::qr_svg", (data, ctx) -> svg(data));
    iii.registerFunction("http::qr_png", (data, ctx) -> png(data));
    iii.registerTrigger(TriggerBinding.of("http", "http::qr_svg", Map.of("api_path", "/links/:code/qr.svg", "http_method", "GET")));
    iii.registerTrigger(TriggerBinding.of("http", "http::qr_png", Map.of("api_path", "/links/:code/qr.png", "http_method", "GET")));
    log.info("qr worker ready", Map.of("short_urls", publicUrl.orElse("http://<Host header>")));
  }

  Map<String, Object> svg(JsonNode request) {
    try {
      String svg = QrCodes.svg(QrCodes.encode(shortUrl(request)));
      return HttpResponses.of(200, Map.of("content-type", "image/svg+xml", "cache-control", CACHE_CONTROL), svg);
    } catch (Refused r) {
      return HttpResponses.json(r.status, Map.of("error", r.getMessage()));
    }
  }

  /** Streams the PNG and returns null (the streamed answer), or returns the JSON error. */
  Map<String, Object> png(JsonNode request) {
    byte[] png;
    try {
      int size = size(request.path("query_params").get("size"));
      BitMatrix modules = QrCodes.encode(shortUrl(request));
      if (modules.getWidth() > size) {
        throw new Refused(400, "size " + size + " is too small for this link's QR code: at least " + modules.getWidth());
      }
      png = Png.of(modules, size);
    } catch (Refused r) {
      return HttpResponses.json(r.status, Map.of("error", r.getMessage()));
    }
    try (ChannelWriter out = ChannelWriter.from(request.get("response"))) {
      out.sendMessage("{\"type\":\"set_status\",\"status_code\":200}");
      out.sendMessage(Json.write(Json.toTree(
          Map.of("type", "set_headers", "headers", Map.of("content-type", "image/png", "cache-control", CACHE_CONTROL)))));
      out.write(png);
    } catch (IOException e) {
      // the client left or the request timed out: the exchange is over, nobody is left to tell
      log.info("qr: PNG not delivered", Map.of("reason", String.valueOf(e.getMessage())));
    }
    return null;
  }

  /** The short URL of the link the path names, which must exist. */
  private String shortUrl(JsonNode request) throws Refused {
    Optional<String> code = PathParam.decoded(request.path("path_params").path("code").asText(""));
    if (code.isEmpty()) {
      throw new Refused(400, "the short code in the path has a malformed percent-escape");
    }
    String base = publicUrl.isPresent() ? publicUrl.get() : "http://" + host(request);
    JsonNode resolved = iii.trigger(TriggerRequest.of("link::resolve", Map.of("code", code.get())));
    if (resolved == null || !resolved.path("url").isTextual()) {
      throw new Refused(404, "link not found");
    }
    return base + "/s/" + code.get();
  }

  private static String host(JsonNode request) throws Refused {
    String host = request.path("headers").path("host").textValue();
    if (host == null || !HOST.matcher(host).matches()) {
      throw new Refused(400, "the Host header must be a host name or address with an optional port (or set " + PUBLIC_URL + ")");
    }
    return host;
  }

  private static int size(JsonNode param) throws Refused {
    if (param == null || param.isNull()) {
      return DEFAULT_SIZE;
    }
    String text = param.asText();
    int size = SIZE.matcher(text).matches() ? Integer.parseInt(text) : -1;
    if (size < MIN_SIZE || size > MAX_SIZE) {
      throw new Refused(400, "\"size\" must be a whole number of pixels from " + MIN_SIZE + " to " + MAX_SIZE);
    }
    return size;
  }

  /** A request answered with a JSON error instead of a code. */
  private static final class Refused extends Exception {
    final int status;

    Refused(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }
}
