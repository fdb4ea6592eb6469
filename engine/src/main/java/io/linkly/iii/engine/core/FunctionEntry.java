package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A registered function. Exactly one of {@code builtin} (in-process) or a remote owner connection
 * executes it; {@code localId} is the id the executing worker knows it by.
 */
public record FunctionEntry(
    String id,
    String description,
    JsonNode requestFormat,
    JsonNode responseFormat,
    JsonNode metadata,
    Worker owner,
    String localId,
    BuiltinFunction builtin) {

  public boolean isInternal() {
    return metadata != null && metadata.path("internal").asBoolean(false);
  }
}
