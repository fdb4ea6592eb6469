package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A registered function. {@code builtin} executes it in-process when present (a built-in's
 * function, or a worker's external function the engine carries out for it); otherwise the owner's
 * connection does, and {@code localId} is the id that worker knows it by.
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
