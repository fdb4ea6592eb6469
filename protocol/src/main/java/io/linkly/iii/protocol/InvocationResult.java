package io.linkly.iii.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/**
 * The outcome of a call (PROTOCOL.md §3.8). A {@code null} or JSON-null {@code result} means "no
 * value" and is omitted on output; a non-null {@code error} takes precedence over {@code result}.
 */
public record InvocationResult(
    UUID invocationId,
    String functionId,
    JsonNode result,
    ErrorBody error,
    String traceparent,
    String baggage)
    implements Message {

  public static final String TYPE = "invocationresult";

  public static InvocationResult success(UUID invocationId, String functionId, JsonNode result) {
    return new InvocationResult(invocationId, functionId, result, null, null, null);
  }

  public static InvocationResult failure(UUID invocationId, String functionId, ErrorBody error) {
    return new InvocationResult(invocationId, functionId, null, error, null, null);
  }

  /** True when the call produced a value the caller should see. */
  public boolean hasResult() {
    return error == null && result != null && !result.isNull();
  }

  @Override
  public String type() {
    return TYPE;
  }
}
