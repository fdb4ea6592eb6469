package io.linkly.app.guard;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.link.HttpResponses;
import io.linkly.app.visit.TrustedProxies;
import io.linkly.iii.sdk.Iii;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The {@code guard} worker: two iii-http middleware functions that routes name in their
 * {@code middleware_function_ids}. {@link #REQUIRE_TOKEN} lets a request through only with
 * {@code Authorization: Bearer <LINKLY_API_TOKEN>} (when a token is set); {@link #LIMIT_CREATION}
 * lets each client address create {@code LINKLY_CREATE_RATE} links a minute. Both answer
 * {@code {"action":"continue"}} or {@code {"action":"respond","response":{…}}} (BUILTINS.md §9.5).
 */
public final class GuardWorker {

  public static final String NAME = "guard";
  public static final String REQUIRE_TOKEN = "linkly::require_token";
  public static final String LIMIT_CREATION = "linkly::limit_creation";
  private static final Map<String, Object> CONTINUE = Map.of("action", "continue");

  private final Iii iii;
  private final TrustedProxies proxies;
  /** SHA-256 of the token, null when write routes are open: digests compare in constant time whatever the lengths. */
  private final byte[] tokenDigest;
  private final CreationLimit creations;
  private final GuardSettings settings;

  /** {@code proxies}: whose X-Forwarded-For names the client a creation is counted against. */
  public GuardWorker(Iii iii, GuardSettings settings, TrustedProxies proxies) {
    this.iii = iii;
    this.proxies = proxies;
    this.settings = settings;
    this.tokenDigest = settings.apiToken().map(GuardWorker::sha256).orElse(null);
    this.creations = settings.createRatePerMinute() == 0 ? null : new CreationLimit(settings.createRatePerMinute(), CreationLimit.MAX_CLIENTS);
  }

  public void start() {
    iii.registerFunction(REQUIRE_TOKEN, (data, ctx) -> requireToken(data));
    iii.registerFunction(LIMIT_CREATION, (data, ctx) -> limitCreation(data));
    iii.logger(NAME).info("guard ready", Map.of(
        "api_token", tokenDigest == null ? "none (write routes are open)" : "required",
        "links_per_minute_per_client", settings.createRatePerMinute() == 0 ? "unlimited" : settings.createRatePerMinute()));
  }

  Map<String, Object> requireToken(JsonNode input) {
    if (tokenDigest == null) {
      return CONTINUE;
    }
    String given = bearerToken(input.path("request").path("headers").path("authorization").textValue());
    if (given != null && MessageDigest.isEqual(tokenDigest, sha256(given))) {
      return CONTINUE;
    }
    return respond(401, "missing or invalid API token", Map.of("www-authenticate", "Bearer realm=\"linkly\""));
  }

  Map<String, Object> limitCreation(JsonNode input) {
    if (creations == null) {
      return CONTINUE;
    }
    String client = Objects.requireNonNullElse(proxies.client(input.path("request")), "");
    long waitNanos = creations.tryAcquire(client);
    if (waitNanos == 0) {
      return CONTINUE;
    }
    long seconds = Math.max(1, (waitNanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1));
    return respond(429, "too many links created; retry later", Map.of("retry-after", Long.toString(seconds)));
  }

  /** The credentials of {@code Bearer <token>} (scheme in any case), or null. */
  private static String bearerToken(String authorization) {
    if (authorization == null) {
      return null;
    }
    String value = authorization.strip();
    int space = value.indexOf(' ');
    if (space < 0 || !value.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
      return null;
    }
    String token = value.substring(space + 1).strip();
    return token.isEmpty() ? null : token;
  }

  private static Map<String, Object> respond(int status, String error, Map<String, String> extraHeaders) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("content-type", "application/json");
    headers.putAll(extraHeaders);
    return Map.of("action", "respond", "response", HttpResponses.of(status, headers, Map.of("error", error)));
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
