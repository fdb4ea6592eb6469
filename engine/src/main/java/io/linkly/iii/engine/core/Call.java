package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One invocation as the engine routes it: the target id, the payload, and the side channels that
 * travel with it. {@code callerWorkerId} is null for engine-originated calls (triggers, HTTP).
 */
public record Call(
    String functionId,
    JsonNode data,
    JsonNode metadata,
    String traceparent,
    String baggage,
    String callerWorkerId) {

  public static Call of(String functionId, JsonNode data) {
    return new Call(functionId, data, null, null, null, null);
  }

  public static Call of(String functionId, JsonNode data, JsonNode metadata) {
    return new Call(functionId, data, metadata, null, null, null);
  }
}
