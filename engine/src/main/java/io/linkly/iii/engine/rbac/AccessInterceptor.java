package io.linkly.iii.engine.rbac;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.FunctionEntry;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.InvocationInterceptor;
import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.protocol.TriggerAction;
import java.util.concurrent.CompletableFuture;

/**
 * The listener's rules on a worker's own calls (PROTOCOL.md §9.2, §9.3): a call its session may
 * not make fails with {@code FORBIDDEN}; on a listener with {@code middleware_function_id}, a
 * permitted call to anything outside {@code engine::} goes to the middleware instead, which decides
 * whether and how to reach the target, and whose answer the caller gets.
 *
 * <p>Calls the engine makes (triggers, queues, HTTP, the middleware call itself) carry no caller
 * and pass untouched, as do callers from open listeners: one map lookup per call.
 */
public final class AccessInterceptor implements InvocationInterceptor {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final Engine engine;

  public AccessInterceptor(Engine engine) {
    this.engine = engine;
  }

  @Override
  public CompletableFuture<JsonNode> intercept(Chain chain) {
    Call call = chain.call();
    if (call.callerWorkerId() == null) {
      return chain.proceed(call);
    }
    SessionAccess access = engine.access(call.callerWorkerId());
    if (access.isOpen()) {
      return chain.proceed(call);
    }
    JsonNode metadata = engine.function(call.functionId()).map(FunctionEntry::metadata).orElse(null);
    String denial = access.denial(call.functionId(), metadata);
    if (denial != null) {
      return CompletableFuture.failedFuture(new InvocationException(ErrorCodes.FORBIDDEN, denial));
    }
    String middleware = access.listener().middlewareFunctionId();
    if (middleware == null || call.functionId().startsWith("engine::")) {
      return chain.proceed(call);
    }
    ObjectNode input = JSON.objectNode();
    input.put("function_id", call.functionId());
    input.set("payload", call.data() == null ? JSON.nullNode() : call.data());
    input.set("action", actionJson(call.action()));
    input.set("context", access.context());
    return chain.proceed(
        new Call(middleware, input, call.metadata(), call.traceparent(), call.baggage(), null, call.timeoutMs(), null));
  }

  private static JsonNode actionJson(TriggerAction action) {
    return switch (action) {
      case null -> JSON.nullNode();
      case TriggerAction.FireAndForget v -> JSON.objectNode().put("type", "void");
      case TriggerAction.Enqueue e -> JSON.objectNode().put("type", "enqueue").put("queue", e.queue());
    };
  }
}
