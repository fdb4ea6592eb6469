package io.linkly.iii.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * W→E: "I serve this function id". {@code invocation} is present only for HTTP-invoked external
 * functions (PROTOCOL.md §3.1).
 */
public record RegisterFunction(
    String id,
    String description,
    JsonNode requestFormat,
    JsonNode responseFormat,
    JsonNode metadata,
    JsonNode invocation)
    implements Message {

  public static final String TYPE = "registerfunction";

  public RegisterFunction(String id) {
    this(id, null, null, null, null, null);
  }

  @Override
  public String type() {
    return TYPE;
  }
}
