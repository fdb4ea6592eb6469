package io.linkly.iii.engine.workers.http;

import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.TriggerProvider;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.net.Listener;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.EngineContext;
import io.linkly.iii.engine.workers.StartupException;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.workers.configuration.LiveConfig;
import java.net.BindException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code iii-http}: serves HTTP on 127.0.0.1:3111 and routes each request to the function bound by
 * an {@code http} trigger (BUILTINS.md §9). Requests are handled asynchronously on the event loops;
 * the engine call behind a request never blocks them. Each request gets its two data channels
 * from the engine's {@link io.linkly.iii.engine.channels.DataChannels}: {@code request_body}, which
 * this worker writes, and {@code response}, which it reads (see {@link Exchange}).
 */
public final class HttpWorker implements BuiltinWorker, TriggerProvider {

  public static final String NAME = "iii-http";
  private static final Logger log = LoggerFactory.getLogger(HttpWorker.class);

  /** How long a replaced listener's connections get to finish before they are closed. */
  private static final Duration RETIRE_GRACE = Duration.ofSeconds(10);

  /** Read per request and per connection: a change applies without touching the listener. */
  private volatile HttpConfig config;
  private final JsonNode yamlBlock;
  /** Where the block was configured, such as {@code workers[1].config}, to name a key in errors. */
  private final String configPath;
  private final RouteTable routes = new RouteTable();
  private final Map<String, RouteTable.Route> byBinding = new ConcurrentHashMap<>();
  /** Every binding of each method + route shape, the one serving last (see {@link #register}). */
  private final Map<String, List<RouteTable.Route>> owners = new HashMap<>();
  private final ReentrantLock ownersLock = new ReentrantLock();
  private volatile Listener listener;
  private EngineContext context;
  private RequestPipeline pipeline;

  private HttpWorker(HttpConfig config, JsonNode yamlBlock, String configPath) {
    this.config = config;
    this.yamlBlock = yamlBlock;
    this.configPath = configPath;
  }

  public static HttpWorker fromConfig(WorkerEntry entry) throws ConfigException {
    return new HttpWorker(HttpConfig.fromConfig(entry), entry.seed(), ConfigBlock.of(entry).path());
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void start(EngineContext context) throws StartupException {
    this.context = context;
    HttpConfig seed = config;
    LiveConfig.Opened<HttpConfig> opened =
        LiveConfig.open(context.engine(), NAME, "HTTP", "The REST API: address, timeouts, CORS, global middleware, limits",
            HttpConfig.SCHEMA, yamlBlock, seed, HttpConfig::fromConfig);
    config = opened.settings();
    Worker self = context.engine().registerBuiltinWorker(NAME);
    context.engine().registerTriggerType(self, "http", "HTTP requests to iii-http routes", this);
    pipeline = new RequestPipeline(context.engine(), routes, () -> config);
    try {
      listener = listen(config);
    } catch (BindException e) {
      if (!fallsBackTo(seed)) {
        String key = sameAddress(seed, config) ? configPath + ".port" : "the port stored in configuration 'iii-http'";
        throw StartupException.cannotListen(NAME, config.host(), config.port(), key, e);
      }
      log.warn("iii-http: the stored address {}:{} cannot be bound ({}); serving on config.yaml's {}:{} this time",
          LogSafe.escape(config.host()), config.port(), LogSafe.escape(e.getMessage()), LogSafe.escape(seed.host()), seed.port());
      config = config.at(seed.host(), seed.port());
      try {
        listener = listen(config);
      } catch (BindException seedFailure) {
        throw StartupException.cannotListen(NAME, config.host(), config.port(), configPath + ".port", seedFailure);
      }
    }
    context.engine().registerHealthCheck("listener:iii-http", () -> listener.health());
    opened.live().watch(self, context.blocking(), this::apply);
  }

  /**
   * Whether a start whose stored address cannot be bound may serve on config.yaml's instead:
   * only when that is a different address, and not a wider one (from loopback to every interface).
   */
  private boolean fallsBackTo(HttpConfig seed) {
    return !sameAddress(seed, config) && !(isLoopback(config.host()) && !isLoopback(seed.host()));
  }

  private static boolean sameAddress(HttpConfig a, HttpConfig b) {
    return a.host().equals(b.host()) && a.port() == b.port();
  }

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
  }

  private Listener listen(HttpConfig at) throws BindException {
    Listener bound =
        Listener.bind(
            context.transport(),
            at.host(),
            at.port(),
            ch -> {
              HttpConfig now = config;
              ReadTimeouts timeouts = new ReadTimeouts(now.timeouts());
              ch.pipeline()
                  .addLast("read-timeouts-bytes", timeouts.bytes())
                  .addLast("http", codec())
                  .addLast("read-timeouts", timeouts.messages())
                  .addLast("keep-alive", new HttpServerKeepAliveHandler())
                  .addLast("body", new BodyLimit(now.maxBodyBytes()))
                  .addLast("requests", new HttpRequestHandler(pipeline, () -> config, context.channels()));
            });
    log.info("iii-http listening on http://{}:{}", at.host(), bound.port());
    return bound;
  }

  /**
   * A configuration change (BUILTINS.md §9.1). CORS, the timeout, middleware and the limits apply
   * at once to every request after it; the connection timeouts and body limit to connections
   * opened after it. A new address is bound first; only then does the old listener stop
   * accepting, its connections finishing what they serve (at most 10 s). An address that cannot
   * be bound keeps the old listener and the previous settings.
   */
  private void apply(HttpConfig next) throws BindException {
    if (sameAddress(next, config)) {
      config = next;
      log.info("iii-http: configuration applied");
      return;
    }
    Listener fresh;
    try {
      fresh = listen(next);
    } catch (BindException e) {
      throw new BindException("cannot listen on " + next.host() + ":" + next.port() + ": " + e.getMessage());
    }
    config = next;
    Listener old = listener;
    listener = fresh;
    old.retire(RETIRE_GRACE);
    log.info("iii-http: moved to http://{}:{}; connections to the old address close once they are idle", next.host(), fresh.port());
  }

  /**
   * Netty's codec with our limits on the request line and headers. Its own pipelining bound is
   * lifted: when exceeded it drops the connection without an answer (that was the "more than 128
   * pipelined requests vanish" bug); {@link HttpRequestHandler} enforces ours and answers 429.
   * What the codec can decode past ours stays bounded: reading stops as soon as one request
   * waits, so at most what one read brought in is decoded, and that is discarded. A body is
   * decoded in slices of what was read, at most {@link HttpConfig#MAX_BODY_CHUNK_BYTES} each: a
   * streamed body's chunks become the request_body channel's frames as they are.
   */
  private static HttpServerCodec codec() {
    HttpDecoderConfig decoder =
        new HttpDecoderConfig()
            .setMaxInitialLineLength(HttpConfig.MAX_REQUEST_LINE_BYTES)
            .setMaxHeaderSize(HttpConfig.MAX_HEADER_BYTES)
            .setMaxChunkSize(HttpConfig.MAX_BODY_CHUNK_BYTES);
    return new HttpServerCodec(decoder, Integer.MAX_VALUE);
  }

  @Override
  public int port() {
    return listener == null ? 0 : listener.port();
  }

  /**
   * Serves a route. A second binding of the same method and route takes it over; when that one
   * goes, the previous binding serves again (upstream drops the route, #2050).
   */
  @Override
  public void register(TriggerBinding binding) throws TriggerRejectedException {
    HttpBinding http = HttpBinding.from(binding);
    RouteTable.Route route =
        new RouteTable.Route(http.method(), http.pattern(), RouteTable.segments(http.pattern()), binding.id(), http);
    ownersLock.lock();
    try {
      routes.add(route);
      List<RouteTable.Route> stack = owners.computeIfAbsent(shape(route), k -> new ArrayList<>());
      stack.removeIf(r -> r.bindingId().equals(binding.id()));
      if (!stack.isEmpty()) {
        log.warn(
            "route {} {} is now served by {}; the previous binding serves again when this one goes",
            http.method(), LogSafe.escape(http.pattern()), LogSafe.escape(http.functionId()));
      }
      stack.add(route);
    } catch (RouteTable.RouteConflictException e) {
      throw new TriggerRejectedException(e.getMessage());
    } finally {
      ownersLock.unlock();
    }
    byBinding.put(binding.id(), route);
    log.info("[REGISTERED] route {} {} -> {}", http.method(), LogSafe.escape(http.pattern()), LogSafe.escape(http.functionId()));
  }

  @Override
  public void unregister(TriggerBinding binding) {
    RouteTable.Route route = byBinding.remove(binding.id());
    if (route == null) {
      return;
    }
    ownersLock.lock();
    try {
      List<RouteTable.Route> stack = owners.getOrDefault(shape(route), new ArrayList<>());
      boolean wasServing = !stack.isEmpty() && stack.get(stack.size() - 1).bindingId().equals(binding.id());
      stack.removeIf(r -> r.bindingId().equals(binding.id()));
      routes.remove(route.method(), route.segments(), binding.id());
      if (stack.isEmpty()) {
        owners.remove(shape(route));
      } else if (wasServing) {
        RouteTable.Route previous = stack.get(stack.size() - 1);
        routes.add(previous);
        log.info("route {} {} is served by {} again", previous.method(), LogSafe.escape(previous.pattern()),
            LogSafe.escape(previous.binding().functionId()));
      }
    } catch (RouteTable.RouteConflictException e) {
      log.error("could not restore a route's previous binding: {}", e.getMessage());
    } finally {
      ownersLock.unlock();
    }
  }

  /** Method and route with parameter names left out: the routes that one request path matches. */
  private static String shape(RouteTable.Route route) {
    StringBuilder key = new StringBuilder(route.method());
    for (String segment : route.segments()) {
      key.append('/').append(RouteTable.isParam(segment) ? ":" : segment);
    }
    return key.toString();
  }

  @Override
  public void close() {
    if (listener != null) {
      listener.close();
    }
  }
}
