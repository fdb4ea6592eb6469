package io.linkly.app.link;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.auth.BrowserAuth;
import io.linkly.app.visit.AnonymisedIp;
import io.linkly.app.visit.Referrers;
import io.linkly.app.visit.UserAgents;
import io.linkly.app.visit.Visit;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.InvocationContext;
import io.linkly.iii.sdk.Logger;
import io.linkly.iii.sdk.TriggerBinding;
import io.linkly.iii.protocol.TriggerAction;
import io.linkly.iii.protocol.Uuids;
import io.linkly.iii.sdk.TriggerRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@code link} worker (LINKLY.md Ch. 1–3): creates and resolves short links, records clicks,
 * and serves {@code POST /links} and {@code GET /s/:code}.
 */
public final class LinkWorker {

  public static final String NAME = "link";
  public static final String CLICKED_TOPIC = "link.clicked";
  public static final String CREATED_TOPIC = "link.created";
  public static final String UPDATED_TOPIC = "link.updated";
  public static final String DELETED_TOPIC = "link.deleted";
  /** The function a dashboard tab registers to ask its user before a link is deleted. */
  public static final String CONFIRM_FUNCTION = "user::confirm_destructive_op";
  public static final String CLICKS_QUEUE = "clicks";
  private static final int MAX_GENERATION_ATTEMPTS = 10;
  private static final Duration DROP_WARNING_INTERVAL = Duration.ofSeconds(10);

  private final Iii iii;
  private final LinkStore store;
  private final ClickRecorder clicks;
  private final ShortCode codes;
  private final Clock clock;
  private final Logger log;
  private final UserAgents userAgents = new UserAgents();
  private final LongAdder droppedClicks = new LongAdder();
  private final AtomicLong lastDropWarningMs = new AtomicLong(Long.MIN_VALUE / 2);

  public LinkWorker(Iii iii, ShortCode codes, Clock clock) {
    this.iii = iii;
    this.store = new LinkStore(iii);
    this.clicks = new ClickRecorder(store);
    this.codes = codes;
    this.clock = clock;
    this.log = iii.logger(NAME);
  }

  /** Registers every function and route, then makes sure the schema exists. */
  public void start(Duration schemaPatience) throws InterruptedException {
    iii.registerFunction("link::create", (data, ctx) -> create(data));
    iii.registerFunction("link::resolve", (data, ctx) -> resolve(data));
    iii.registerFunction("link::record_click", (data, ctx) -> recordClick(data));
    iii.registerFunction("http::create", (data, ctx) -> httpCreate(data));
    iii.registerFunction("http::redirect", (data, ctx) -> httpRedirect(data, ctx));
    iii.registerFunction("link::update", (data, ctx) -> update(data));
    iii.registerFunction("http::update", (data, ctx) -> httpUpdate(data));
    iii.registerFunction("link::on_link_updated", (data, ctx) -> onLinkUpdated(data));
    iii.registerFunction("link::delete", (data, ctx) -> delete(data));
    iii.registerFunction("link::request_delete", (data, ctx) -> requestDelete(data));
    iii.registerTrigger(TriggerBinding.of("http", "http::create", Map.of("api_path", "/links", "http_method", "POST", "middleware_function_ids", java.util.List.of(io.linkly.app.guard.GuardWorker.REQUIRE_TOKEN, io.linkly.app.guard.GuardWorker.LIMIT_CREATION))));
    iii.registerTrigger(TriggerBinding.of("http", "http::redirect", Map.of("api_path", "/s/:code", "http_method", "GET")));
    iii.registerTrigger(TriggerBinding.of("http", "http::update", Map.of("api_path", "/links/:code", "http_method", "PUT", "middleware_function_ids", java.util.List.of(io.linkly.app.guard.GuardWorker.REQUIRE_TOKEN))));
    iii.registerTrigger(TriggerBinding.of("durable:subscriber", "link::on_link_updated", Map.of("topic", UPDATED_TOPIC)));
    store.ensureSchema(schemaPatience);
    log.info("database: ready");
    log.info("link worker ready");
  }

  // ------------------------------------------------------------------ link::*

  Map<String, String> create(JsonNode data) {
    String url = LinkTarget.normalise(text(data, "url"));
    String chosen = text(data, "code");
    String createdAt = now();
    String code;
    if (chosen != null) {
      code = ShortCode.validate(chosen);
      if (!store.insertLink(code, url, createdAt)) {
        throw new IiiException("CODE_EXISTS", "code already exists");
      }
    } else {
      code = insertWithGeneratedCode(url, createdAt);
    }
    store.cache(code, url);
    log.info("link created", Map.of("code", code, "url", url));
    iii.trigger(TriggerRequest.of("publish", Map.of("topic", CREATED_TOPIC, "data", ordered("code", code, "url", url))));
    return ordered("code", code, "url", url);
  }

  /** Changes a link's target; the cache follows through the durable {@code link.updated} topic. */
  Map<String, String> update(JsonNode data) {
    String code = ShortCode.validate(requiredText(data, "code"));
    String url = LinkTarget.normalise(text(data, "url"));
    if (!store.updateLink(code, url)) {
      throw new IiiException("LINK_NOT_FOUND", "link not found");
    }
    iii.trigger(TriggerRequest.of("iii::durable::publish", Map.of("topic", UPDATED_TOPIC, "data", ordered("code", code, "url", url))));
    log.info("link updated", Map.of("code", code, "url", url));
    return ordered("code", code, "url", url);
  }

  Object onLinkUpdated(JsonNode data) {
    store.cache(requiredText(data, "code"), requiredText(data, "url"));
    return null;
  }

  /** Generated codes never collide: a taken code is simply drawn again. */
  private String insertWithGeneratedCode(String url, String createdAt) {
    for (int attempt = 0; attempt < MAX_GENERATION_ATTEMPTS; attempt++) {
      String code = codes.generate();
      if (store.insertLink(code, url, createdAt)) {
        return code;
      }
    }
    throw new IiiException("CODE_SPACE_EXHAUSTED", "could not find a free short code");
  }

  /** {@code link::resolve}: the target of the code, from the state cache, else from the database (then cached). */
  Map<String, Object> resolve(JsonNode data) {
    String code = requiredText(data, "code");
    Optional<String> url = store.cachedUrl(code);
    if (url.isEmpty()) {
      url = store.findUrl(code);
      url.ifPresent(u -> store.cache(code, u));
    }
    log.info("link resolved", Map.of("code", code, "found", url.isPresent()));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("url", url.orElse(null));
    return out;
  }

  /**
   * Records a click, then announces it on {@code link.clicked} without waiting (LINKLY.md Ch. 5).
   * The announcement carries the click's row id so that listeners can tell apart two clicks of
   * the same millisecond, and when the row committed. An announcement lost on the way is made good
   * by the click-streamer's reconciler (the row's {@code streamed} flag is its outbox).
   */
  Map<String, Object> recordClick(JsonNode data) {
    String code = requiredText(data, "code");
    String clickedAt = text(data, "clicked_at");
    if (clickedAt == null) {
      clickedAt = now();
    }
    Visit visit = visit(data);
    Optional<String> clickId;
    try {
      clickId = clicks.record(new ClickRecorder.Click(code, clickedAt, text(data, "click_key"), visit));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IiiException("INTERRUPTED", "interrupted while recording a click");
    }
    if (clickId.isPresent()) { // a redelivered click was announced when it was first recorded, or is reconciled
      Map<String, Object> click = new LinkedHashMap<>();
      click.put("code", code);
      click.put("clicked_at", clickedAt);
      click.put("click_id", clickId.get());
      click.put("recorded_at", now());
      visit.putInto(click);
      iii.trigger(TriggerRequest.of("publish", Map.of("topic", CLICKED_TOPIC, "data", click)).withAction(TriggerAction.Void()));
    }
    return Map.of("recorded", true);
  }

  /**
   * Who clicked, from what a redirect queued with the click: the user agent is read here, off the
   * request path; the referrer host and the anonymised address come as they were queued (and are
   * cleaned again, for clicks recorded by other callers).
   */
  private Visit visit(JsonNode data) {
    UserAgents.Agent agent = userAgents.parse(text(data, "user_agent"));
    String referrer = text(data, "referrer");
    String host = referrer == null ? null : Referrers.host(referrer.contains("://") ? referrer : "http://" + referrer);
    return new Visit(host, agent.browser(), agent.os(), agent.device(), agent.bot(), AnonymisedIp.of(text(data, "ip")));
  }

  /**
   * Deletes a link (LINKLY.md Ch. 7): its row and its cache entry go, so {@code /s/<code>} is 404
   * from now on; its clicks stay. True even for an unknown code. Beyond the tutorial, the deletion
   * is announced on {@code link.deleted}, so live dashboards drop the link's row.
   */
  Map<String, Object> delete(JsonNode data) {
    String code = requiredText(data, "code");
    store.deleteLink(code);
    iii.trigger(TriggerRequest.of("publish", Map.of("topic", DELETED_TOPIC, "data", Map.of("code", code))).withAction(TriggerAction.Void()));
    log.info("link deleted", Map.of("code", code));
    return Map.of("deleted", true);
  }

  /**
   * Deletes a link once a person has confirmed it in a dashboard tab: the tab's {@code
   * user::confirm_destructive_op} shows the question and answers {@code {confirmed}}. A tab that
   * asks names itself ({@code tab}) and is asked back; without one (e.g. {@code iii trigger}), the
   * tutorial's unprefixed function is asked, else one open tab. No tab open: {@code
   * function_not_found}, as upstream.
   */
  Map<String, Object> requestDelete(JsonNode data) {
    String code = requiredText(data, "code");
    String tab = text(data, "tab");
    if (tab != null && !BrowserAuth.isTabId(tab)) {
      throw new IiiException("INVALID_TAB", "tab must be 1-64 of [a-z0-9]");
    }
    String confirm = tab != null ? BrowserAuth.tabPrefix(tab) + "::" + CONFIRM_FUNCTION : anyConfirmFunction();
    JsonNode answer = iii.trigger(TriggerRequest.of(confirm, Map.of("code", code, "action", "delete link \"" + code + "\"")));
    if (answer == null || !answer.path("confirmed").asBoolean(false)) {
      return Map.of("deleted", false);
    }
    delete(data);
    return Map.of("deleted", true);
  }

  private String anyConfirmFunction() {
    JsonNode listed = iii.trigger(TriggerRequest.of("engine::functions::list", Map.of("search", "confirm_destructive_op")));
    String any = null;
    for (JsonNode f : listed.path("functions")) {
      String id = f.path("function_id").asText();
      if (id.equals(CONFIRM_FUNCTION)) {
        return id;
      }
      if (any == null && id.startsWith("tab-") && id.endsWith("::" + CONFIRM_FUNCTION)) {
        any = id;
      }
    }
    return any != null ? any : CONFIRM_FUNCTION; // none: the call reports function_not_found
  }

  /** Stops recording clicks; calls still waiting fail and their queue messages are retried. */
  public void close() {
    clicks.close();
  }

  // ------------------------------------------------------------------ http::*

  Map<String, Object> httpCreate(JsonNode request) {
    if (request.hasNonNull("body_error")) {
      return HttpResponses.json(400, Map.of("error", request.get("body_error").asText()));
    }
    JsonNode body = request.path("body");
    if (!body.isObject() || body.path("url").isMissingNode() || body.path("url").isNull()) {
      return HttpResponses.json(400, Map.of("error", "missing \"url\""));
    }
    if (!body.path("url").isTextual() || (body.has("code") && !body.get("code").isNull() && !body.get("code").isTextual())) {
      return HttpResponses.json(400, Map.of("error", "\"url\" and \"code\" must be strings"));
    }
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("url", body.get("url").textValue());
    if (body.hasNonNull("code") && !body.get("code").textValue().isEmpty()) {
      input.put("code", body.get("code").textValue());
    }
    try {
      JsonNode link = iii.trigger(TriggerRequest.of("link::create", input));
      return HttpResponses.json(201, link);
    } catch (IiiException e) {
      return switch (e.code()) {
        case "CODE_EXISTS" -> HttpResponses.json(409, Map.of("error", "code already exists"));
        case InvalidLinkException.CODE -> HttpResponses.json(400, Map.of("error", e.getMessage()));
        default -> throw e;
      };
    }
  }

  Map<String, Object> httpRedirect(JsonNode request, InvocationContext ctx) {
    Optional<String> code = PathParam.decoded(request.path("path_params").path("code").asText(""));
    if (code.isEmpty()) {
      return HttpResponses.json(400, Map.of("error", "the short code in the path has a malformed percent-escape"));
    }
    // through the engine, as the tutorial does: the resolve is then a span of the redirect's trace,
    // and a replacement of link::resolve is honoured (in-process, the hop costs a few microseconds)
    JsonNode resolved = iii.trigger(TriggerRequest.of("link::resolve", Map.of("code", code.get())));
    String url = resolved == null || !resolved.path("url").isTextual() ? null : resolved.get("url").textValue();
    if (url == null) {
      return HttpResponses.json(404, Map.of("error", "link not found"));
    }
    if ("HEAD".equals(request.path("method").asText())) {
      return HttpResponses.redirect(url); // a HEAD is a look at the link (a preview, a checker), not a visit
    }
    // The click leaves the hot path: the queue acknowledges it durably, record_click runs later.
    // a time-ordered key: the unique index on click_key then grows at its end, not at random pages
    Map<String, Object> click = new HashMap<>(8);
    click.put("code", code.get());
    click.put("clicked_at", now());
    click.put("click_key", Uuids.timeOrdered(clock.millis()).toString());
    putVisitor(request, click);
    try {
      iii.trigger(TriggerRequest.of("link::record_click", click).withAction(TriggerAction.Enqueue(CLICKS_QUEUE)));
    } catch (IiiException e) {
      clickDropped(e); // the click is lost, the redirect is not
    }
    return HttpResponses.redirect(url);
  }

  Map<String, Object> httpUpdate(JsonNode request) {
    if (request.hasNonNull("body_error")) {
      return HttpResponses.json(400, Map.of("error", request.get("body_error").asText()));
    }
    JsonNode body = request.path("body");
    if (!body.isObject() || body.path("url").isMissingNode() || body.path("url").isNull()) {
      return HttpResponses.json(400, Map.of("error", "missing \"url\""));
    }
    if (!body.path("url").isTextual()) {
      return HttpResponses.json(400, Map.of("error", "\"url\" must be a string"));
    }
    Optional<String> code = PathParam.decoded(request.path("path_params").path("code").asText(""));
    if (code.isEmpty()) {
      return HttpResponses.json(400, Map.of("error", "the short code in the path has a malformed percent-escape"));
    }
    try {
      JsonNode link = iii.trigger(TriggerRequest.of("link::update", Map.of("code", code.get(), "url", body.get("url").textValue())));
      return HttpResponses.json(200, link);
    } catch (IiiException e) {
      return switch (e.code()) {
        case "LINK_NOT_FOUND" -> HttpResponses.json(404, Map.of("error", "link not found"));
        case InvalidLinkException.CODE -> HttpResponses.json(400, Map.of("error", e.getMessage()));
        default -> throw e;
      };
    }
  }

  /**
   * What the click keeps of its request: the user agent (read when the click is recorded), the
   * referrer's host and the client address anonymised. The raw address and the referrer's path
   * never reach the queue's journal.
   */
  private static void putVisitor(JsonNode request, Map<String, Object> click) {
    JsonNode headers = request.path("headers");
    String userAgent = headers.path("user-agent").textValue();
    if (userAgent != null && !userAgent.isEmpty()) {
      click.put("user_agent", userAgent.length() > UserAgents.MAX_LENGTH ? userAgent.substring(0, UserAgents.MAX_LENGTH) : userAgent);
    }
    String referrer = Referrers.host(headers.path("referer").textValue());
    if (referrer != null) {
      click.put("referrer", referrer);
    }
    String ip = AnonymisedIp.of(request.path("remote_addr").textValue());
    if (ip != null) {
      click.put("ip", ip);
    }
  }

  /** Counts a click the queue refused; warns at most every {@link #DROP_WARNING_INTERVAL}. */
  private void clickDropped(IiiException cause) {
    droppedClicks.increment();
    long now = clock.millis();
    long last = lastDropWarningMs.get();
    if (now - last >= DROP_WARNING_INTERVAL.toMillis() && lastDropWarningMs.compareAndSet(last, now)) {
      log.warn(
          "clicks dropped: the click queue refused them; redirects go on",
          Map.of("dropped_total", droppedClicks.sum(), "code", String.valueOf(cause.code()), "reason", String.valueOf(cause.getMessage())));
    }
  }

  /** Clicks lost since start because the click queue refused them. */
  public long droppedClicks() {
    return droppedClicks.sum();
  }

  // ------------------------------------------------------------------ helpers

  private String now() {
    return DateTimeFormatter.ISO_INSTANT.format(Instant.now(clock).truncatedTo(ChronoUnit.MILLIS));
  }

  /** A field as text; numbers from `iii trigger code=123` are coerced, as the tutorial advises. */
  private static String text(JsonNode data, String field) {
    JsonNode value = data == null ? null : data.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (value.isValueNode()) {
      return value.asText();
    }
    throw new InvalidLinkException("\"" + field + "\" must be a string");
  }

  private static String requiredText(JsonNode data, String field) {
    String value = text(data, field);
    if (value == null) {
      throw new InvalidLinkException("\"" + field + "\" is required");
    }
    return value;
  }

  private static Map<String, String> ordered(String k1, String v1, String k2, String v2) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put(k1, v1);
    out.put(k2, v2);
    return out;
  }
}
