package io.linkly.iii.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/**
 * A call (PROTOCOL.md §3.7). W→E the {@code invocationId} is absent for {@code void}; E→W it is
 * always present. {@code action == null} means synchronous. {@code data} is never null: a JSON
 * {@code null} payload is a {@code NullNode}.
 *
 * <p>{@code timeoutMs} is this engine's addition ({@code timeout_ms} on the wire, absent when
 * null): how long the caller will wait, so that the engine can give up on the call at the same
 * moment. Upstream ignores the field.
 */
public record InvokeFunction(
    UUID invocationId,
    String functionId,
    JsonNode data,
    TriggerAction action,
    JsonNode metadata,
    String traceparent,
    String baggage,
    Long timeoutMs)
    implements Message {

  public static final String TYPE = "invokefunction";

  public InvokeFunction {
    if (data == null) {
      throw new IllegalArgumentException("data is required; use NullNode for a JSON null");
    }
    if (timeoutMs != null && timeoutMs <= 0) {
      throw new IllegalArgumentException("timeoutMs must be positive");
    }
  }

  public InvokeFunction(
      UUID invocationId,
      String functionId,
      JsonNode data,
      TriggerAction action,
      JsonNode metadata,
      String traceparent,
      String baggage) {
    this(invocationId, functionId, data, action, metadata, traceparent, baggage, null);
  }

  /** The same call with another payload (the engine's interceptors add to it). */
  public InvokeFunction withData(JsonNode newData) {
    return new InvokeFunction(invocationId, functionId, newData, action, metadata, traceparent, baggage, timeoutMs);
  }

  @Override
  public String type() {
    return TYPE;
  }
}
