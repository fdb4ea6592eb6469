package io.linkly.app.link;

import io.linkly.app.Timestamps;
import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.auth.BrowserAuth;
import io.linkly.app.guard.GuardWorker;
import io.linkly.app.visit.AnonymisedIp;
import io.linkly.app.visit.Referrers;
import io.linkly.app.visit.TrustedProxies;
import io.linkly.app.visit.UserAgents;
import io.linkly.app.visit.Visit;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.Logger;
import io.linkly.iii.sdk.TriggerBinding;
import io.linkly.iii.protocol.TriggerAction;
import io.linkly.iii.sdk.TriggerRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
  private static final int DEFAULT_PAGE = 50;
  private static final int MAX_PAGE = 200;

  private final Iii iii;
  private final LinkStore store;
  private final ClickRecorder clicks;
  private final ShortCode codes;
  private final Clock clock;
  private final Logger log;
  private final UserAgents userAgents = new UserAgents();
  private final LinkRoutes routes;

  public LinkWorker(Iii iii, ShortCode codes, Clock clock) {
    this(iii, codes, clock, TrustedProxies.NONE);
  }

  /** {@code proxies}: whose X-Forwarded-For names a click's visitor (LINKLY_TRUSTED_PROXIES). */
  public LinkWorker(Iii iii, ShortCode codes, Clock clock, TrustedProxies proxies) {
    this.iii = iii;
    this.store = new LinkStore(iii);
    this.clicks = new ClickRecorder(store);
    this.codes = codes;
    this.clock = clock;
    this.log = iii.logger(NAME);
    this.routes = new LinkRoutes(iii, store, userAgents, clock, log, proxies);
  }

  /** Registers every function and route, then makes sure the schema exists. */
  public void start(Duration schemaPatience) throws InterruptedException {
    iii.registerFunction("link::create", (data, ctx) -> create(data));
    iii.registerFunction("link::resolve", (data, ctx) -> resolve(data));
    iii.registerFunction("link::record_click", (data, ctx) -> recordClick(data));
    iii.registerFunction("link::get", (data, ctx) -> get(data));
    iii.registerFunction("link::list", (data, ctx) -> list(data));
    iii.registerFunction("http::create", (data, ctx) -> routes.create(data));
    iii.registerFunction("http::redirect", (data, ctx) -> routes.redirect(data));
    iii.registerFunction("link::update", (data, ctx) -> update(data));
    iii.registerFunction("http::update", (data, ctx) -> routes.update(data));
    iii.registerFunction("http::get", (data, ctx) -> routes.get(data));
    iii.registerFunction("http::list", (data, ctx) -> routes.list(data));
    iii.registerFunction("http::delete", (data, ctx) -> routes.delete(data));
    iii.registerFunction("link::on_link_updated", (data, ctx) -> onLinkUpdated(data));
    iii.registerFunction("link::delete", (data, ctx) -> delete(data));
    iii.registerFunction("link::request_delete", (data, ctx) -> requestDelete(data));
    // writes need the API token when one is set, and creation is rate-limited per client
    List<String> writeGuard = List.of(GuardWorker.REQUIRE_TOKEN);
    List<String> createGuard = List.of(GuardWorker.REQUIRE_TOKEN, GuardWorker.LIMIT_CREATION);
    iii.registerTrigger(TriggerBinding.of("http", "http::create", Map.of("api_path", "/links", "http_method", "POST", "middleware_function_ids", createGuard)));
    iii.registerTrigger(TriggerBinding.of("http", "http::redirect", Map.of("api_path", "/s/:code", "http_method", "GET")));
    iii.registerTrigger(TriggerBinding.of("http", "http::update", Map.of("api_path", "/links/:code", "http_method", "PUT", "middleware_function_ids", writeGuard)));
    iii.registerTrigger(TriggerBinding.of("http", "http::list", Map.of("api_path", "/links", "http_method", "GET")));
    iii.registerTrigger(TriggerBinding.of("http", "http::get", Map.of("api_path", "/links/:code", "http_method", "GET")));
    iii.registerTrigger(TriggerBinding.of("http", "http::delete", Map.of("api_path", "/links/:code", "http_method", "DELETE", "middleware_function_ids", writeGuard)));
    iii.registerTrigger(TriggerBinding.of("durable:subscriber", "link::on_link_updated", Map.of("topic", UPDATED_TOPIC)));
    store.ensureSchema(schemaPatience);
    log.info("database: ready");
    log.info("link worker ready");
  }

  // ------------------------------------------------------------------ link::*

  Map<String, Object> create(JsonNode data) {
    String url = LinkTarget.normalise(text(data, "url"));
    LinkLimits limits = LinkLimits.parse(data);
    if (limits.expiredAt(clock.instant())) {
      throw new InvalidLinkException(
          "\"expires_at\" " + limits.expiresAt() + " has passed: a new link would never redirect (PUT /links/:code may end a link's life now)");
    }
    String chosen = text(data, "code");
    String createdAt = now();
    String code;
    if (chosen != null) {
      code = ShortCode.validate(chosen);
      if (!store.insertLink(code, url, createdAt, limits)) {
        throw new IiiException("CODE_EXISTS", "code already exists");
      }
    } else {
      code = insertWithGeneratedCode(url, createdAt, limits);
    }
    Link link = new Link(code, url, createdAt, limits, 0);
    store.cache(code, link.resolved());
    log.info("link created", Map.of("code", code, "url", url));
    iii.trigger(TriggerRequest.of("publish", Map.of("topic", CREATED_TOPIC, "data", summary(code, url, LinkLimits.NONE))));
    return summary(code, url, limits);
  }

  /**
   * Changes a link's target and/or limits (a limit set to null is removed); the cache follows
   * through the durable {@code link.updated} topic.
   */
  Map<String, Object> update(JsonNode data) {
    String code = ShortCode.validate(requiredText(data, "code"));
    String newUrl = text(data, "url");
    if (newUrl == null && !LinkLimits.anyIn(data)) {
      throw new InvalidLinkException("\"url\" is required");
    }
    String normalised = newUrl == null ? null : LinkTarget.normalise(newUrl);
    LinkLimits requested = LinkLimits.parse(data); // bad input is a 400 whether or not the link exists
    Link current = store.findLink(code).orElseThrow(() -> new IiiException("LINK_NOT_FOUND", "link not found"));
    String url = normalised == null ? current.url() : normalised;
    LinkLimits limits = current.limits().updatedBy(requested, data);
    if (!store.updateLink(code, url, limits)) {
      throw new IiiException("LINK_NOT_FOUND", "link not found");
    }
    Map<String, Object> updated = summary(code, url, limits);
    iii.trigger(TriggerRequest.of("iii::durable::publish", Map.of("topic", UPDATED_TOPIC, "data", updated)));
    log.info("link updated", Map.of("code", code, "url", url));
    return updated;
  }

  /** An update reaches the cache: the target and the limits it announced. */
  Object onLinkUpdated(JsonNode data) {
    String code = requiredText(data, "code");
    store.cache(code, new Link(code, requiredText(data, "url"), null, LinkLimits.of(data), 0).resolved());
    return null;
  }

  /** {@code link::get}: the stored link, or {@code LINK_NOT_FOUND}. */
  Map<String, Object> get(JsonNode data) {
    String code = requiredText(data, "code");
    return store.findLink(code).orElseThrow(() -> new IiiException("LINK_NOT_FOUND", "link not found")).toJson();
  }

  /**
   * {@code link::list {q?, limit?, cursor?}}: links newest first, {@code limit} (1–200, default 50)
   * at a time, those whose code or URL contains {@code q}; {@code next_cursor} asks for the next
   * page and is null on the last.
   */
  Map<String, Object> list(JsonNode data) {
    String q = text(data, "q");
    int limit = pageSize(data == null ? null : data.get("limit"));
    String cursorText = text(data, "cursor");
    Long cursor = null;
    if (cursorText != null) {
      try {
        cursor = Long.parseLong(cursorText);
      } catch (NumberFormatException e) {
        throw new InvalidLinkException("\"cursor\" must be the next_cursor of an earlier page");
      }
    }
    LinkStore.Page page = store.listLinks(q, limit, cursor);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("links", page.links().stream().map(Link::toJson).toList());
    out.put("next_cursor", page.nextCursor());
    return out;
  }

  /** Generated codes never collide: a taken code is simply drawn again. */
  private String insertWithGeneratedCode(String url, String createdAt, LinkLimits limits) {
    for (int attempt = 0; attempt < MAX_GENERATION_ATTEMPTS; attempt++) {
      String code = codes.generate();
      if (store.insertLink(code, url, createdAt, limits)) {
        return code;
      }
    }
    throw new IiiException("CODE_SPACE_EXHAUSTED", "could not find a free short code");
  }

  /**
   * {@code link::resolve}: the target of the code and its limits, from the state cache, else from
   * the database (then cached); {@code {url: null}} for an unknown code.
   */
  Object resolve(JsonNode data) {
    String code = requiredText(data, "code");
    JsonNode cached = store.cached(code);
    if (cached != null) {
      log.info("link resolved", Map.of("code", code, "found", true));
      return cached;
    }
    Optional<Link> link = store.findLink(code);
    link.ifPresent(l -> store.cache(code, l.resolved()));
    log.info("link resolved", Map.of("code", code, "found", link.isPresent()));
    Map<String, Object> out = link.map(Link::resolved).orElseGet(LinkedHashMap::new);
    out.putIfAbsent("url", null);
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

  /** Clicks lost since start because the click queue refused them. */
  public long droppedClicks() {
    return routes.droppedClicks();
  }

  // ------------------------------------------------------------------ helpers

  /** The page size {@code link::list} is asked for: 1 to {@value #MAX_PAGE}, {@value #DEFAULT_PAGE} when not given. */
  private static int pageSize(JsonNode limit) {
    if (limit == null || limit.isNull()) {
      return DEFAULT_PAGE;
    }
    int n = limit.isNumber() ? limit.asInt(-1) : parseOr(limit.asText(), -1);
    if (n < 1 || n > MAX_PAGE || (limit.isNumber() && !limit.isIntegralNumber())) {
      throw new InvalidLinkException("\"limit\" must be a whole number from 1 to " + MAX_PAGE);
    }
    return n;
  }

  private static int parseOr(String text, int fallback) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private String now() {
    return Timestamps.now(clock);
  }

  /** A link as create and update answer it: code, url, and the limits that are set. */
  private static Map<String, Object> summary(String code, String url, LinkLimits limits) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("code", code);
    out.put("url", url);
    limits.putInto(out);
    return out;
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
}
