package io.linkly.iii.sdk;

/**
 * Binds a function to a trigger type. {@code config} and {@code metadata} are any
 * Jackson-mappable values (a {@code JsonNode}, a record, a map); {@code config} null is sent as
 * JSON null.
 */
public record TriggerBinding(String type, String functionId, Object config, Object metadata) {

  public TriggerBinding {
    if (type == null || type.isEmpty()) {
      throw new IllegalArgumentException("a trigger binding needs a trigger type");
    }
    if (functionId == null || functionId.isEmpty()) {
      throw new IllegalArgumentException("a trigger binding needs a function id");
    }
  }

  public static TriggerBinding of(String type, String functionId, Object config) {
    return new TriggerBinding(type, functionId, config, null);
  }

  public TriggerBinding withMetadata(Object newMetadata) {
    return new TriggerBinding(type, functionId, config, newMetadata);
  }
}
