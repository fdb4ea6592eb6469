package io.linkly.iii.engine.workers.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.TriggerActionHandler;
import io.linkly.iii.protocol.ErrorBody;
import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.TriggerAction;
import io.linkly.iii.protocol.Uuids;
import java.util.concurrent.CompletableFuture;

/**
 * {@code TriggerAction.Enqueue} (PROTOCOL.md §4.4): the call is handed to
 * {@code engine::queue::enqueue} with a fresh receipt id, and the caller gets
 * {@code {messageReceiptId}} once the queue has accepted it, or an {@code enqueue_error}.
 */
public final class EnqueueAction implements TriggerActionHandler<TriggerAction.Enqueue> {

  public static final String FUNCTION = "engine::queue::enqueue";
  private static final String NO_QUEUE_PROVIDER =
      "No queue provider is installed. `TriggerAction::Enqueue` routes through the"
          + " `engine::queue::enqueue` provider, which the standalone queue worker registers. Add it"
          + " with `iii worker add queue`. (underlying: Function engine::queue::enqueue not found)";

  private final Engine engine;

  private EnqueueAction(Engine engine) {
    this.engine = engine;
  }

  /**
   * Makes {@code engine} handle the enqueue action. Without a queue worker every enqueue fails with
   * upstream's "no queue provider" error.
   */
  public static void install(Engine engine) {
    engine.actions().register(TriggerAction.Enqueue.class, new EnqueueAction(engine));
  }

  @Override
  public CompletableFuture<JsonNode> handle(Call call, TriggerAction.Enqueue action) {
    String receipt = Uuids.fast().toString();
    ObjectNode request = Json.object();
    request.put("queue", action.queue());
    request.put("function_id", call.functionId());
    request.set("data", call.data());
    request.put("messageReceiptId", receipt);
    if (call.traceparent() != null) {
      request.put("traceparent", call.traceparent());
    }
    if (call.baggage() != null) {
      request.put("baggage", call.baggage());
    }
    Call enqueue =
        new Call(FUNCTION, request, call.metadata(), call.traceparent(), call.baggage(), call.callerWorkerId(), call.timeoutMs());
    return engine
        .invoke(enqueue)
        .handle(
            (result, failure) -> {
              if (failure == null) {
                return (JsonNode) Json.object().put("messageReceiptId", receipt);
              }
              ErrorBody body = InvocationException.bodyOf(failure);
              String message =
                  ErrorCodes.FUNCTION_NOT_FOUND.equals(body.code()) && engine.function(FUNCTION).isEmpty()
                      ? NO_QUEUE_PROVIDER
                      : body.message();
              throw new InvocationException(ErrorCodes.ENQUEUE_ERROR, message);
            });
  }
}
