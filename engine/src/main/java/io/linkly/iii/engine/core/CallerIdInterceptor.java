package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.CompletableFuture;

/**
 * Tells the target who called (PROTOCOL.md §4.2): a worker's call whose payload is a JSON object
 * gets {@code _caller_worker_id}, which is how {@code engine::workers::register} learns its caller.
 */
final class CallerIdInterceptor implements InvocationInterceptor {

  static final String FIELD = "_caller_worker_id";

  @Override
  public CompletableFuture<JsonNode> intercept(Chain chain) {
    Call call = chain.call();
    // An enqueued payload is stored as sent; the queue's later delivery is the engine's call.
    if (call.callerWorkerId() != null && !call.isHandledByAction() && call.data() instanceof ObjectNode object) {
      object.put(FIELD, call.callerWorkerId());
    }
    return chain.proceed(call);
  }
}
