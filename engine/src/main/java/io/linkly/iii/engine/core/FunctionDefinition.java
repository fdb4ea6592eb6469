package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;

/** How a built-in module describes a function it registers. */
public record FunctionDefinition(
    String id, String description, JsonNode requestFormat, JsonNode responseFormat, JsonNode metadata) {

  public static FunctionDefinition of(String id, String description) {
    return new FunctionDefinition(id, description, null, null, null);
  }

  public FunctionDefinition withRequestFormat(JsonNode format) {
    return new FunctionDefinition(id, description, format, responseFormat, metadata);
  }

  public FunctionDefinition withResponseFormat(JsonNode format) {
    return new FunctionDefinition(id, description, requestFormat, format, metadata);
  }

  public FunctionDefinition withMetadata(JsonNode metadata) {
    return new FunctionDefinition(id, description, requestFormat, responseFormat, metadata);
  }
}
