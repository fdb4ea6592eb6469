package io.linkly.iii.engine.workers.httpfunctions;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.ExternalFunctions;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.EngineContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code iii-http-functions} (BUILTINS.md §10), opt-in as upstream: lets a worker register a
 * function that the engine serves by calling an HTTP endpoint ({@code registerfunction} with an
 * {@code invocation} block). It registers no function of its own; it serves the core's
 * {@link ExternalFunctions} hook.
 *
 * <p>A registration is checked before the function exists: the block must read, the URL must pass
 * the security policy ({@code url_validation_failed}), and the credentials' environment variables
 * must be set. A refused registration is logged and the worker is not told, as upstream. The
 * function then belongs to the registering worker like any other: its unregister or its
 * disconnect withdraws it, and a worker may not register it over a built-in's id.
 */
public final class HttpFunctionsWorker implements BuiltinWorker, ExternalFunctions {

  public static final String NAME = "iii-http-functions";

  private static final Logger log = LoggerFactory.getLogger(HttpFunctionsWorker.class);

  private final HttpFunctionsConfig config;
  private final Function<String, String> env;
  private Engine engine;
  private Executor blocking;
  private HttpInvoker invoker;

  private HttpFunctionsWorker(HttpFunctionsConfig config, Function<String, String> env) {
    this.config = config;
    this.env = env;
  }

  /** The worker of {@code entry}; credentials are read from the process environment. */
  public static HttpFunctionsWorker fromConfig(WorkerEntry entry) throws ConfigException {
    return fromConfig(entry, System::getenv);
  }

  /** As {@link #fromConfig(WorkerEntry)}, reading credentials' variables from {@code env}. */
  public static HttpFunctionsWorker fromConfig(WorkerEntry entry, Function<String, String> env) throws ConfigException {
    return new HttpFunctionsWorker(HttpFunctionsConfig.fromConfig(entry), env);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void start(EngineContext context) {
    engine = context.engine();
    blocking = context.blocking();
    invoker = new HttpInvoker(new UrlPolicy(config), blocking, context.transport().group(), context.clock());
    engine.registerBuiltinWorker(NAME);
    engine.useExternalFunctions(this);
  }

  @Override
  public CompletableFuture<BuiltinFunction> prepare(String functionId, JsonNode invocation) {
    HttpEndpoint endpoint;
    try {
      endpoint = HttpEndpoint.parse(invocation);
    } catch (InvocationException e) {
      return CompletableFuture.failedFuture(e);
    }
    Supplier<BuiltinFunction> checked = () -> function(functionId, endpoint);
    if (invoker.policy().needsLookup(endpoint.url())) {
      return CompletableFuture.supplyAsync(checked, blocking); // the URL check looks a name up
    }
    try {
      return CompletableFuture.completedFuture(checked.get());
    } catch (InvocationException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Checks the URL, then the credentials, in upstream's order; the function that calls the endpoint. */
  private BuiltinFunction function(String functionId, HttpEndpoint endpoint) {
    invoker.policy().check(endpoint.url());
    EndpointAuth auth = EndpointAuth.resolve(endpoint.auth(), env);
    log.debug(
        "[REGISTERED] HTTP function {} → {} {}", LogSafe.escape(functionId), endpoint.method(), LogSafe.escape(endpoint.url()));
    return call -> invoker.invoke(functionId, endpoint, auth, call.data());
  }

  @Override
  public void close() {
    if (engine != null) {
      engine.useExternalFunctions(null);
    }
    if (invoker != null) {
      invoker.close();
    }
  }
}
