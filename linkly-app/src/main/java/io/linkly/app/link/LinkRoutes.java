package io.linkly.app.link;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.Timestamps;
import io.linkly.app.sql.SqlDatabase;
import io.linkly.app.visit.AnonymisedIp;
import io.linkly.app.visit.Referrers;
import io.linkly.app.visit.TrustedProxies;
import io.linkly.app.visit.UserAgents;
import io.linkly.iii.engine.core.RepeatedWarning;
import io.linkly.iii.protocol.TriggerAction;
import io.linkly.iii.protocol.Uuids;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.Logger;
import io.linkly.iii.sdk.TriggerRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * The link worker's HTTP side: each {@code http::*} handler turns a request into a call of a
 * {@code link::*} function through the engine (so a replaced function is honoured and each call is
 * a span of the request's trace) and the outcome into a status code with a JSON body.
 */
final class LinkRoutes {

  private static final Duration WARNING_INTERVAL = Duration.ofSeconds(10);
  /** How long a client told 503 should wait: the store's own retries (a disk, a database) run every second or so. */
  private static final Duration RETRY_AFTER = Duration.ofSeconds(5);

  private final Iii iii;
  private final TrustedProxies proxies;
  private final LinkStore store;
  private final UserAgents userAgents;
  private final Clock clock;
  private final Logger log;
  private final LongAdder droppedClicks = new LongAdder();
  private final RepeatedWarning dropWarnings;
  private final RepeatedWarning failureWarnings;

  LinkRoutes(Iii iii, LinkStore store, UserAgents userAgents, Clock clock, Logger log, TrustedProxies proxies) {
    this.iii = iii;
    this.proxies = proxies;
    this.store = store;
    this.userAgents = userAgents;
    this.clock = clock;
    this.log = log;
    this.dropWarnings = new RepeatedWarning(WARNING_INTERVAL.toMillis(), clock::millis);
    this.failureWarnings = new RepeatedWarning(WARNING_INTERVAL.toMillis(), clock::millis);
  }

  // ------------------------------------------------------------------ POST /links, PUT /links/:code

  Map<String, Object> create(JsonNode request) {
    JsonNode body = request.path("body");
    Map<String, Object> bad = badBody(request, true);
    if (bad != null) {
      return bad;
    }
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("url", body.get("url").textValue());
    if (body.hasNonNull("code") && !body.get("code").textValue().isEmpty()) {
      input.put("code", body.get("code").textValue());
    }
    copyLimits(body, input);
    return call("link::create", input, 201);
  }

  Map<String, Object> update(JsonNode request) {
    Optional<String> code = code(request);
    if (code.isEmpty()) {
      return malformedCode();
    }
    Map<String, Object> bad = badBody(request, false);
    if (bad != null) {
      return bad;
    }
    JsonNode body = request.path("body");
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("code", code.get());
    if (body.hasNonNull("url")) {
      input.put("url", body.get("url").textValue());
    }
    copyLimits(body, input);
    return call("link::update", input, 200);
  }

  /**
   * The body's problem as a 400, or null. A create needs {@code url}; an update needs
   * {@code url} or one of the limits. Both accept only strings for url/code/fallback_url.
   */
  private static Map<String, Object> badBody(JsonNode request, boolean creating) {
    if (request.hasNonNull("body_error")) {
      return HttpResponses.json(400, Map.of("error", request.get("body_error").asText()));
    }
    JsonNode body = request.path("body");
    String contentType = request.path("headers").path("content-type").asText("");
    if (!contentType.isEmpty() && !contentType.toLowerCase(Locale.ROOT).contains("application/json")) {
      // iii-http parses only JSON bodies: without this the link would look like one with no url
      String type = contentType.split(";", 2)[0].strip();
      return HttpResponses.json(400, Map.of("error", "the body must be JSON, sent with Content-Type: application/json (not " + type + ")"));
    }
    if (!body.isMissingNode() && !body.isNull() && !body.isObject()) {
      return HttpResponses.json(400, Map.of("error", "the body must be a JSON object, e.g. {\"url\": \"https://iii.dev\"}"));
    }
    boolean hasUrl = body.isObject() && body.hasNonNull("url");
    if (!hasUrl && (creating || !LinkLimits.anyIn(body))) {
      return HttpResponses.json(400, Map.of("error", "missing \"url\""));
    }
    if ((hasUrl && !body.get("url").isTextual()) || (body.has("code") && !body.get("code").isNull() && !body.get("code").isTextual())) {
      return HttpResponses.json(400, Map.of("error", creating ? "\"url\" and \"code\" must be strings" : "\"url\" must be a string"));
    }
    return null;
  }

  private static void copyLimits(JsonNode body, Map<String, Object> input) {
    for (String field : new String[] {LinkLimits.EXPIRES_AT, LinkLimits.MAX_CLICKS, LinkLimits.FALLBACK_URL}) {
      if (body.has(field)) {
        input.put(field, body.get(field));
      }
    }
  }

  // ------------------------------------------------------------------ GET /links, GET and DELETE /links/:code

  Map<String, Object> list(JsonNode request) {
    JsonNode query = request.path("query_params");
    Map<String, Object> input = new LinkedHashMap<>();
    String q = query.path("q").asText("");
    if (!q.isEmpty()) {
      input.put("q", q);
    }
    String limit = query.path("limit").asText("");
    if (!limit.isEmpty()) {
      input.put("limit", limit);
    }
    String cursor = query.path("cursor").asText("");
    if (!cursor.isEmpty()) {
      input.put("cursor", cursor);
    }
    return call("link::list", input, 200);
  }

  Map<String, Object> get(JsonNode request) {
    Optional<String> code = code(request);
    return code.isEmpty() ? malformedCode() : call("link::get", Map.of("code", code.get()), 200);
  }

  Map<String, Object> delete(JsonNode request) {
    Optional<String> code = code(request);
    if (code.isEmpty()) {
      return malformedCode();
    }
    if (store.findLink(code.get()).isEmpty()) {
      return notFound();
    }
    return call("link::delete", Map.of("code", code.get()), 200);
  }

  /**
   * Calls a link function; its error codes become 400, 404 and 409 with a JSON body. Any other
   * failure comes after the input was checked, so it is the store's (a full disk, a database that
   * is down, a call that timed out): a 503 saying so, which a client may retry.
   */
  private Map<String, Object> call(String function, Map<String, Object> input, int status) {
    try {
      return HttpResponses.json(status, iii.trigger(TriggerRequest.of(function, input)));
    } catch (IiiException e) {
      return switch (e.code()) {
        case "CODE_EXISTS" -> HttpResponses.json(409, Map.of("error", "code already exists"));
        case "LINK_NOT_FOUND" -> notFound();
        case InvalidLinkException.CODE -> HttpResponses.json(400, Map.of("error", e.getMessage()));
        default -> unavailable(function, e);
      };
    }
  }

  private Map<String, Object> unavailable(String function, IiiException e) {
    String reason = SqlDatabase.reason(e);
    if (failureWarnings.due() >= 0) {
      log.warn("a links request failed in the store; answered 503", Map.of("function", function, "code", String.valueOf(e.code()), "reason", reason));
    }
    String what = switch (function) {
      case "link::list", "link::get" -> "links could not be read now";
      case "link::delete" -> "the link could not be deleted now";
      default -> "the link could not be stored now";
    };
    Map<String, String> headers = Map.of("content-type", "application/json", "retry-after", String.valueOf(RETRY_AFTER.toSeconds()));
    return HttpResponses.of(503, headers, Map.of("error", what + " (" + reason + "); try again later"));
  }

  // ------------------------------------------------------------------ GET /s/:code

  Map<String, Object> redirect(JsonNode request) {
    Optional<String> code = code(request);
    if (code.isEmpty()) {
      return malformedCode();
    }
    // through the engine, as the tutorial does: the resolve is then a span of the redirect's trace,
    // and a replacement of link::resolve is honoured (in-process, the hop costs a few microseconds)
    JsonNode resolved = iii.trigger(TriggerRequest.of("link::resolve", Map.of("code", code.get())));
    String url = resolved == null || !resolved.path("url").isTextual() ? null : resolved.get("url").textValue();
    if (url == null) {
      return notFound();
    }
    boolean head = "HEAD".equals(request.path("method").asText());
    if (resolved.size() > 1) { // the link has limits
      Map<String, Object> gone = enforce(code.get(), LinkLimits.of(resolved), request, head);
      if (gone != null) {
        return gone;
      }
    }
    if (head) {
      return HttpResponses.redirect(url); // a HEAD is a look at the link (a preview, a checker), not a visit
    }
    // The click leaves the hot path: the queue acknowledges it durably, record_click runs later.
    // a time-ordered key: the unique index on click_key then grows at its end, not at random pages
    Map<String, Object> click = new HashMap<>(8);
    click.put("code", code.get());
    click.put("clicked_at", Timestamps.now(clock));
    click.put("click_key", Uuids.timeOrdered(clock.millis()).toString());
    putVisitor(request, click);
    try {
      iii.trigger(TriggerRequest.of("link::record_click", click).withAction(TriggerAction.Enqueue(LinkWorker.CLICKS_QUEUE)));
    } catch (IiiException e) {
      clickDropped(e); // the click is lost, the redirect is not
    }
    return HttpResponses.redirect(url);
  }

  /**
   * Null when the link may be followed now, else the answer instead: past {@code expires_at}, or
   * with its click limit used up, 410 with a JSON body, or a redirect to the fallback URL when the
   * link has one (no click is recorded then: the link itself was not followed). A person uses up
   * one of the limit; a crawler or a HEAD goes through while there is room without using it.
   */
  private Map<String, Object> enforce(String code, LinkLimits limits, JsonNode request, boolean head) {
    Map<String, Object> gone = new LinkedHashMap<>();
    if (limits.expiredAt(clock.instant())) {
      gone.put("error", "link expired");
      gone.put("code", code);
      gone.put("expired_at", limits.expiresAt());
    } else if (limits.maxClicks() != null) {
      boolean person = !head && !userAgents.parse(request.path("headers").path("user-agent").textValue()).bot();
      if (store.takeVisit(code, person ? 1 : 0)) {
        return null;
      }
      gone.put("error", "link reached its click limit");
      gone.put("code", code);
      gone.put("max_clicks", limits.maxClicks());
    } else {
      return null;
    }
    return limits.fallbackUrl() != null ? HttpResponses.redirect(limits.fallbackUrl()) : HttpResponses.json(410, gone);
  }

  /**
   * What the click keeps of its request: the user agent (read when the click is recorded), the
   * referrer's host and the client address anonymised. The raw address and the referrer's path
   * never reach the queue's journal.
   */
  private void putVisitor(JsonNode request, Map<String, Object> click) {
    JsonNode headers = request.path("headers");
    String userAgent = headers.path("user-agent").textValue();
    if (userAgent != null && !userAgent.isEmpty()) {
      click.put("user_agent", userAgent.length() > UserAgents.MAX_LENGTH ? userAgent.substring(0, UserAgents.MAX_LENGTH) : userAgent);
    }
    String referrer = Referrers.host(headers.path("referer").textValue());
    if (referrer != null) {
      click.put("referrer", referrer);
    }
    String ip = AnonymisedIp.of(proxies.client(request));
    if (ip != null) {
      click.put("ip", ip);
    }
  }

  /** Counts a click the queue refused; warns at most every {@link #WARNING_INTERVAL}. */
  private void clickDropped(IiiException cause) {
    droppedClicks.increment();
    if (dropWarnings.due() >= 0) {
      log.warn(
          "clicks dropped: the click queue refused them; redirects go on",
          Map.of("dropped_total", droppedClicks.sum(), "code", String.valueOf(cause.code()), "reason", String.valueOf(cause.getMessage())));
    }
  }

  long droppedClicks() {
    return droppedClicks.sum();
  }

  // ------------------------------------------------------------------ helpers

  private static Optional<String> code(JsonNode request) {
    return PathParam.decoded(request.path("path_params").path("code").asText(""));
  }

  private static Map<String, Object> malformedCode() {
    return HttpResponses.json(400, Map.of("error", "the short code in the path has a malformed percent-escape"));
  }

  private static Map<String, Object> notFound() {
    return HttpResponses.json(404, Map.of("error", "link not found"));
  }
}
