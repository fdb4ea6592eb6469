package io.linkly.iii.engine.workers.http;

import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.TriggerProvider;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.net.Listener;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.EngineContext;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code iii-http}: serves HTTP on 127.0.0.1:3111 and routes each request to the function bound by
 * an {@code http} trigger (BUILTINS.md §9). Requests are handled asynchronously on the event loops;
 * the engine call behind a request never blocks them.
 */
public final class HttpWorker implements BuiltinWorker, TriggerProvider {

  public static final String NAME = "iii-http";
  private static final Logger log = LoggerFactory.getLogger(HttpWorker.class);

  private final HttpConfig config;
  private final RouteTable routes = new RouteTable();
  private final Map<String, RouteTable.Route> byBinding = new ConcurrentHashMap<>();
  private Listener listener;

  private HttpWorker(HttpConfig config) {
    this.config = config;
  }

  public static HttpWorker fromConfig(WorkerEntry entry) throws ConfigException {
    return new HttpWorker(HttpConfig.fromConfig(entry));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void start(EngineContext context) {
    Worker self = context.engine().registerBuiltinWorker(NAME);
    context.engine().registerTriggerType(self, "http", "HTTP requests to iii-http routes", this);
    RequestPipeline pipeline = new RequestPipeline(context.engine(), routes, config);
    listener =
        Listener.bind(
            context.transport(),
            config.host(),
            config.port(),
            ch ->
                ch.pipeline()
                    .addLast("http", new HttpServerCodec())
                    .addLast("keep-alive", new HttpServerKeepAliveHandler())
                    .addLast("body", new BodyLimit(config.maxBodyBytes()))
                    .addLast("requests", new HttpRequestHandler(pipeline, config)));
    log.info("iii-http listening on http://{}:{}", config.host(), listener.port());
  }

  @Override
  public int port() {
    return listener == null ? 0 : listener.port();
  }

  @Override
  public void register(TriggerBinding binding) throws TriggerRejectedException {
    HttpBinding http = HttpBinding.from(binding);
    RouteTable.Route route =
        new RouteTable.Route(http.method(), http.pattern(), RouteTable.segments(http.pattern()), binding.id(), http);
    try {
      routes.add(route);
    } catch (RouteTable.RouteConflictException e) {
      throw new TriggerRejectedException(e.getMessage());
    }
    byBinding.put(binding.id(), route);
    log.info("[REGISTERED] route {} {} -> {}", http.method(), http.pattern(), http.functionId());
  }

  @Override
  public void unregister(TriggerBinding binding) {
    RouteTable.Route route = byBinding.remove(binding.id());
    if (route != null) {
      routes.remove(route.method(), route.segments(), binding.id());
    }
  }

  @Override
  public void close() {
    if (listener != null) {
      listener.close();
    }
  }
}
