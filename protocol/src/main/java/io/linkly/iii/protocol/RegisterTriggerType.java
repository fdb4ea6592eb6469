package io.linkly.iii.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/** W→E: the sender becomes the provider of a trigger type (PROTOCOL.md §3.3). */
public record RegisterTriggerType(
    String id, String description, JsonNode triggerRequestFormat, JsonNode callRequestFormat)
    implements Message {

  public static final String TYPE = "registertriggertype";

  public RegisterTriggerType(String id, String description) {
    this(id, description, null, null);
  }

  @Override
  public String type() {
    return TYPE;
  }
}
