package io.linkly.app.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.visit.IpLiteral;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerBinding;
import java.net.InetAddress;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
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
 *
 * <p>Also beyond the tutorial, a session registers only what a page needs: functions named
 * {@code ui::*} or {@code user::*} ({@code auth::browser_registration}, the listener's hook for
 * functions and triggers) and {@code stream} triggers bound to them ({@code allowed_trigger_types}).
 * Without that, anyone with the token could take over {@code link::resolve} or bind {@code GET
 * /s/:code} to a function of their own and send every visitor elsewhere. The same token opens
 * the stream port to subscribers on other machines ({@code auth::stream}); those on this machine
 * need none.
 */
public final class BrowserAuth {

  public static final String NAME = "auth";
  public static final String FUNCTION = "auth::browser";
  /** The listener's registration hook: allows functions and triggers of the page's own namespaces. */
  public static final String REGISTRATION_HOOK = "auth::browser_registration";
  /** The stream port's auth function and its {@code stream:join} check: who may read the click feed. */
  public static final String STREAM_AUTH = "auth::stream";
  static final String STREAM_JOIN = "auth::stream_join";
  public static final String DEFAULT_TOKEN = "dev-token";
  private static final List<String> PAGE_NAMESPACES = List.of("ui::", "user::");
  private static final Pattern TAB = Pattern.compile("[a-z0-9]{1,64}");

  private final Iii iii;
  private final byte[] token;

  public BrowserAuth(Iii iii, String token) {
    this.iii = iii;
    this.token = token.getBytes(StandardCharsets.UTF_8);
  }

  /** The token from {@code LINKLY_BROWSER_TOKEN}, else {@value #DEFAULT_TOKEN}. */
  public static String token(Function<String, String> env) {
    String token = env.apply("LINKLY_BROWSER_TOKEN");
    return token == null || token.isEmpty() ? DEFAULT_TOKEN : token;
  }

  /**
   * Refuses to open the browser listener to other machines ({@code LINKLY_HOST} not a loopback
   * address) with the default token, which is in the README: anyone could then create links.
   */
  public static void checkExposure(String host, String token) throws ConfigException {
    if (host == null || host.isEmpty() || !token.equals(DEFAULT_TOKEN)) {
      return;
    }
    boolean loopback;
    try {
      loopback = host.equals("localhost") || InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      loopback = false; // the listener will say it cannot bind; refusing here names the real risk
    }
    if (!loopback) {
      throw new ConfigException("LINKLY_HOST=" + host + " opens the browser port to other machines, and with the default token ("
          + DEFAULT_TOKEN + ") anyone could create links there: set LINKLY_BROWSER_TOKEN");
    }
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
    iii.registerFunction(REGISTRATION_HOOK, (data, ctx) -> vetRegistration(data));
    iii.registerFunction(STREAM_AUTH, (data, ctx) -> streamContext(data));
    iii.registerFunction(STREAM_JOIN, (data, ctx) -> vetJoin(data));
    iii.registerTrigger(TriggerBinding.of("stream:join", STREAM_JOIN, Map.of()));
    iii.logger(NAME).info("auth worker ready");
  }

  Map<String, Object> authenticate(JsonNode input) {
    if (!tokenMatches(first(input, "token"))) {
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
    result.put("allowed_trigger_types", List.of("stream")); // live updates; an http trigger would bind a public route
    result.put("context", tab == null ? Map.of("source", "browser") : Map.of("source", "browser", "tab", tab));
    if (tab != null) {
      result.put("function_registration_prefix", tabPrefix(tab));
    }
    return result;
  }

  /**
   * Allows (an empty object: nothing rewritten) a function, or a trigger's target, in the page's
   * namespaces, as the id was sent, before the tab's prefix; refuses anything else.
   */
  Map<String, Object> vetRegistration(JsonNode registration) {
    String id = registration.path("function_id").asText("");
    for (String namespace : PAGE_NAMESPACES) {
      if (id.startsWith(namespace)) {
        return Map.of();
      }
    }
    throw new IiiException("FORBIDDEN", "a browser session registers only ui::* and user::* functions, not " + id);
  }

  /**
   * The stream port's auth function: a subscriber on this machine ({@code ./linkly watch}), or
   * one that shows the browser token ({@code ?token=}), may read the streams. Beyond the
   * tutorial: with {@code LINKLY_HOST=0.0.0.0} the click feed (referrers, browsers, anonymised
   * addresses) would otherwise be open to anyone who can reach the port.
   */
  Map<String, Object> streamContext(JsonNode input) {
    String addr = input.path("addr").asText("");
    int port = addr.lastIndexOf(':');
    String host = port < 0 ? addr : addr.substring(0, port);
    boolean reader = tokenMatches(first(input, "token")) || IpLiteral.isLoopback(host);
    return Map.of("context", Map.of("reader", reader));
  }

  /** {@code stream:join}: only a connection its auth context calls a reader subscribes. */
  static Map<String, Object> vetJoin(JsonNode join) {
    return join.path("context").path("reader").asBoolean(false) ? Map.of() : Map.of("unauthorized", true);
  }

  private boolean tokenMatches(String offered) {
    // compared in constant time: how long a refusal takes says nothing about the token
    return offered != null && MessageDigest.isEqual(token, offered.getBytes(StandardCharsets.UTF_8));
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
