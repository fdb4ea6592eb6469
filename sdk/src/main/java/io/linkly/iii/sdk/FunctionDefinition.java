package io.linkly.iii.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;

/**
 * What the engine is told about a function besides its id. The formats and metadata are free JSON
 * (introspection shows them; RBAC may filter on metadata).
 */
public record FunctionDefinition(
    String id,
    String description,
    JsonNode requestFormat,
    JsonNode responseFormat,
    JsonNode metadata) {

  public FunctionDefinition {
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException("a function needs an id");
    }
  }

  public static FunctionDefinition of(String id) {
    return new FunctionDefinition(id, null, null, null, null);
  }

  public static Builder builder(String id) {
    return new Builder(id);
  }

  public FunctionDefinition withDescription(String newDescription) {
    return new FunctionDefinition(id, newDescription, requestFormat, responseFormat, metadata);
  }

  /** Any Jackson-mappable value: a {@code JsonNode}, a map, a record. */
  public FunctionDefinition withRequestFormat(Object format) {
    return new FunctionDefinition(id, description, tree(format), responseFormat, metadata);
  }

  public FunctionDefinition withResponseFormat(Object format) {
    return new FunctionDefinition(id, description, requestFormat, tree(format), metadata);
  }

  public FunctionDefinition withMetadata(Object newMetadata) {
    return new FunctionDefinition(id, description, requestFormat, responseFormat, tree(newMetadata));
  }

  private static JsonNode tree(Object value) {
    return value == null ? null : Json.toTree(value);
  }

  /** Builds a definition step by step. */
  public static final class Builder {
    private FunctionDefinition definition;

    private Builder(String id) {
      this.definition = FunctionDefinition.of(id);
    }

    public Builder description(String description) {
      definition = definition.withDescription(description);
      return this;
    }

    public Builder requestFormat(Object format) {
      definition = definition.withRequestFormat(format);
      return this;
    }

    public Builder responseFormat(Object format) {
      definition = definition.withResponseFormat(format);
      return this;
    }

    public Builder metadata(Object metadata) {
      definition = definition.withMetadata(metadata);
      return this;
    }

    public FunctionDefinition build() {
      return definition;
    }
  }
}
