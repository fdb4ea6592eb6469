package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.protocol.TriggerAction;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** The handlers of trigger actions by action type; the last registration of a type wins. */
public final class TriggerActions {

  private final Map<Class<?>, TriggerActionHandler<?>> handlers = new ConcurrentHashMap<>();

  public <A extends TriggerAction> void register(Class<A> type, TriggerActionHandler<A> handler) {
    handlers.put(type, handler);
  }

  @SuppressWarnings("unchecked")
  CompletableFuture<JsonNode> handle(Call call, TriggerAction action) {
    TriggerActionHandler<TriggerAction> handler =
        (TriggerActionHandler<TriggerAction>) handlers.get(action.getClass());
    if (handler == null) {
      return CompletableFuture.failedFuture(
          new InvocationException(
              ErrorCodes.INVOCATION_FAILED, "this engine has no handler for the trigger action " + action));
    }
    try {
      return handler.handle(call, action);
    } catch (InvocationException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
