package io.linkly.iii.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/**
 * A call (PROTOCOL.md §3.7). W→E the {@code invocationId} is absent for {@code void}; E→W it is
 * always present. {@code action == null} means synchronous. {@code data} is never null: a JSON
 * {@code null} payload is a {@code NullNode}.
 */
public record InvokeFunction(
    UUID invocationId,
    String functionId,
    JsonNode data,
    TriggerAction action,
    JsonNode metadata,
    String traceparent,
    String baggage)
    implements Message {

  public static final String TYPE = "invokefunction";

  public InvokeFunction {
    if (data == null) {
      throw new IllegalArgumentException("data is required; use NullNode for a JSON null");
    }
  }

  @Override
  public String type() {
    return TYPE;
  }
}
