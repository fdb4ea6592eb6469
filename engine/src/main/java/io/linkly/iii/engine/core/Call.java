package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One invocation as the engine routes it: the target id, the payload, and the side channels that
 * travel with it. {@code callerWorkerId} is null for engine-originated calls (triggers, HTTP).
 * {@code timeoutMs} is how long the caller waits; null means the engine's default deadline.
 */
public record Call(
    String functionId,
    JsonNode data,
    JsonNode metadata,
    String traceparent,
    String baggage,
    String callerWorkerId,
    Long timeoutMs) {

  public Call(
      String functionId, JsonNode data, JsonNode metadata, String traceparent, String baggage, String callerWorkerId) {
    this(functionId, data, metadata, traceparent, baggage, callerWorkerId, null);
  }

  public static Call of(String functionId, JsonNode data) {
    return new Call(functionId, data, null, null, null, null, null);
  }

  public static Call of(String functionId, JsonNode data, JsonNode metadata) {
    return new Call(functionId, data, metadata, null, null, null, null);
  }

  /** The same call with a deadline {@code timeoutMs} from now (at least 1 ms). */
  public Call withTimeout(long newTimeoutMs) {
    return new Call(functionId, data, metadata, traceparent, baggage, callerWorkerId, Math.max(1, newTimeoutMs));
  }
}
