package io.linkly.iii.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * W→E: bind a function to a trigger type; E→W: deliver that binding to the type's provider
 * (PROTOCOL.md §3.4). {@code config} is required on the wire.
 */
public record RegisterTrigger(
    String id, String triggerType, String functionId, JsonNode config, JsonNode metadata)
    implements Message {

  public static final String TYPE = "registertrigger";

  @Override
  public String type() {
    return TYPE;
  }
}
