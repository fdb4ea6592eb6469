package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.TriggerAction;
import java.util.concurrent.CompletableFuture;

/**
 * What the engine does with a call that carries an action other than sync or {@code void}
 * (PROTOCOL.md §4.4): the queue worker handles {@code enqueue}. The core routes the call here and
 * relays the outcome to the caller; it knows nothing of queues.
 */
@FunctionalInterface
public interface TriggerActionHandler<A extends TriggerAction> {

  /** Handles {@code call} (as the caller sent it, before any interceptor) for {@code action}. */
  CompletableFuture<JsonNode> handle(Call call, A action);
}
