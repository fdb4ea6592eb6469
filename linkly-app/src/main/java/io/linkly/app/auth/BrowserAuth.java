package io.linkly.app.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code auth} worker (LINKLY.md Ch. 7): {@code auth::browser} decides who may open a session
 * on the browser listener (:3110). Browsers cannot send WebSocket headers, so the token travels in
 * the query string ({@code ?token=…}); a missing or wrong token refuses the connection.
 *
 * <p>Beyond the tutorial: a tab that names itself ({@code &tab=<id>}) gets its own function
 * namespace ({@code function_registration_prefix: tab-<id>}), so every open dashboard registers
 * its own {@code ui::on_click} and counts every click, instead of the newest tab taking the
 * function from the others.
 */
public final class BrowserAuth {

  public static final String NAME = "auth";
  public static final String FUNCTION = "auth::browser";
  public static final String DEFAULT_TOKEN = "dev-token";
  private static final Pattern TAB = Pattern.compile("[a-z0-9]{1,64}");

  private final Iii iii;
  private final byte[] token;

  public BrowserAuth(Iii iii, String token) {
    this.iii = iii;
    this.token = token.getBytes(StandardCharsets.UTF_8);
  }

  /** The token from {@code LINKLY_BROWSER_TOKEN}, else {@value #DEFAULT_TOKEN}. */
  public static String tokenFromEnv() {
    String token = System.getenv("LINKLY_BROWSER_TOKEN");
    return token == null || token.isEmpty() ? DEFAULT_TOKEN : token;
  }

  /** The function prefix a tab with this id gets: {@code tab-<id>}. */
  public static String tabPrefix(String tabId) {
    return "tab-" + tabId;
  }

  public static boolean isTabId(String tabId) {
    return tabId != null && TAB.matcher(tabId).matches();
  }

  public void start() {
    iii.registerFunction(FUNCTION, (data, ctx) -> authenticate(data));
    iii.logger(NAME).info("auth worker ready");
  }

  Map<String, Object> authenticate(JsonNode input) {
    String offered = first(input, "token");
    // compared in constant time: how long a refusal takes says nothing about the token
    if (offered == null || !MessageDigest.isEqual(token, offered.getBytes(StandardCharsets.UTF_8))) {
      throw new IiiException("UNAUTHORIZED", "unauthorized");
    }
    String tab = first(input, "tab");
    if (tab != null && !isTabId(tab)) {
      throw new IiiException("UNAUTHORIZED", "tab must be 1-64 of [a-z0-9]");
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("allowed_functions", List.of());
    result.put("forbidden_functions", List.of());
    result.put("allow_trigger_type_registration", false);
    result.put("allow_function_registration", true);
    result.put("context", tab == null ? Map.of("source", "browser") : Map.of("source", "browser", "tab", tab));
    if (tab != null) {
      result.put("function_registration_prefix", tabPrefix(tab));
    }
    return result;
  }

  /** The first value of a query parameter, URL-decoded (the engine hands them over as sent). */
  private static String first(JsonNode input, String name) {
    JsonNode values = input.path("query_params").path(name);
    if (!values.isArray() || values.isEmpty() || !values.get(0).isTextual()) {
      return null;
    }
    try {
      return URLDecoder.decode(values.get(0).textValue(), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null; // a malformed escape is no token at all
    }
  }
}
