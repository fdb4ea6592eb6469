package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.TriggerAction;

/**
 * One invocation as the engine routes it: the target id, the payload, and the side channels that
 * travel with it. {@code callerWorkerId} is null for engine-originated calls (triggers, HTTP).
 * {@code timeoutMs} is how long the caller waits; null means the engine's default deadline.
 * {@code action} is how the caller wants it handled: null for a synchronous call, {@code void},
 * or an action such as {@code enqueue} that a {@link TriggerActionHandler} carries out instead of
 * the target.
 */
public record Call(
    String functionId,
    JsonNode data,
    JsonNode metadata,
    String traceparent,
    String baggage,
    String callerWorkerId,
    Long timeoutMs,
    TriggerAction action) {

  public Call(
      String functionId,
      JsonNode data,
      JsonNode metadata,
      String traceparent,
      String baggage,
      String callerWorkerId,
      Long timeoutMs) {
    this(functionId, data, metadata, traceparent, baggage, callerWorkerId, timeoutMs, null);
  }

  public Call(
      String functionId, JsonNode data, JsonNode metadata, String traceparent, String baggage, String callerWorkerId) {
    this(functionId, data, metadata, traceparent, baggage, callerWorkerId, null);
  }

  public static Call of(String functionId, JsonNode data) {
    return new Call(functionId, data, null, null, null, null, null, null);
  }

  public static Call of(String functionId, JsonNode data, JsonNode metadata) {
    return new Call(functionId, data, metadata, null, null, null, null, null);
  }

  /** The same call with a deadline {@code timeoutMs} from now (at least 1 ms). */
  public Call withTimeout(long newTimeoutMs) {
    return new Call(functionId, data, metadata, traceparent, baggage, callerWorkerId, Math.max(1, newTimeoutMs), action);
  }

  /** The same call carrying another trace context (W3C {@code traceparent} and {@code baggage}). */
  public Call withTrace(String newTraceparent, String newBaggage) {
    if (java.util.Objects.equals(newTraceparent, traceparent) && java.util.Objects.equals(newBaggage, baggage)) {
      return this;
    }
    return new Call(functionId, data, metadata, newTraceparent, newBaggage, callerWorkerId, timeoutMs, action);
  }

  /** True when a trigger action handler, not the target, takes the call (e.g. {@code enqueue}). */
  public boolean isHandledByAction() {
    return action != null && !(action instanceof TriggerAction.FireAndForget);
  }
}
