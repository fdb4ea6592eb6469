package io.linkly.iii.engine.workers.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.Json;
import java.util.Iterator;

/**
 * Reading the OTLP/JSON encoding (the protobuf JSON mapping the SDKs send): fields in lowerCamelCase
 * (the original snake_case names are accepted too), 64-bit integers as strings or numbers,
 * {@code AnyValue}s as one-field objects ({@code stringValue}, {@code intValue}, {@code kvlistValue}
 * …), trace and span ids as hex.
 */
public final class OtlpJson {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private OtlpJson() {}

  /** {@code node.camel}, else {@code node.snake}; missing when neither is there. */
  static JsonNode field(JsonNode node, String camel, String snake) {
    JsonNode value = node.get(camel);
    if (value == null || value.isNull()) {
      value = node.get(snake);
    }
    return value == null || value.isNull() ? MissingNode.getInstance() : value;
  }

  /** The elements of an array field; empty when absent or not an array. */
  static Iterable<JsonNode> items(JsonNode node, String camel, String snake) {
    JsonNode value = field(node, camel, snake);
    return value.isArray() ? value : Json.mapper().createArrayNode();
  }

  /** An unsigned 64-bit field given as a number or a decimal string; 0 when absent or malformed. */
  static long unsigned(JsonNode node, String camel, String snake) {
    JsonNode value = field(node, camel, snake);
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      return Math.max(0, value.longValue());
    }
    if (value.isTextual()) {
      try {
        return Math.max(0, Long.parseLong(value.textValue().trim()));
      } catch (NumberFormatException e) {
        return 0;
      }
    }
    return 0;
  }

  /** A string field; null when absent, not a string, or empty. */
  static String text(JsonNode node, String camel, String snake) {
    JsonNode value = field(node, camel, snake);
    return value.isTextual() && !value.textValue().isEmpty() ? value.textValue() : null;
  }

  /** An {@code AnyValue} as plain JSON: strings, numbers, booleans, objects (kvlists) and arrays. */
  static JsonNode value(JsonNode any) {
    if (any == null || !any.isObject()) {
      return NODES.nullNode();
    }
    JsonNode v;
    if ((v = field(any, "stringValue", "string_value")).isTextual()) {
      return v;
    }
    if (!(v = field(any, "intValue", "int_value")).isMissingNode()) {
      if (v.isIntegralNumber()) {
        return v;
      }
      try {
        return NODES.numberNode(Long.parseLong(v.asText().trim()));
      } catch (NumberFormatException e) {
        return NODES.textNode(v.asText());
      }
    }
    if (!(v = field(any, "doubleValue", "double_value")).isMissingNode()) {
      double d = v.isNumber() ? v.doubleValue() : parseDouble(v.asText());
      return Double.isFinite(d) ? NODES.numberNode(d) : NODES.numberNode(0);
    }
    if ((v = field(any, "boolValue", "bool_value")).isBoolean()) {
      return v;
    }
    if (!(v = field(any, "kvlistValue", "kvlist_value")).isMissingNode()) {
      return attributes(field(v, "values", "values"));
    }
    if (!(v = field(any, "arrayValue", "array_value")).isMissingNode()) {
      ArrayNode out = Json.mapper().createArrayNode();
      for (JsonNode item : items(v, "values", "values")) {
        out.add(value(item));
      }
      return out;
    }
    if ((v = field(any, "bytesValue", "bytes_value")).isTextual()) {
      return v; // base64, as sent
    }
    return NODES.nullNode();
  }

  /** An {@code AnyValue} as text: a scalar as itself, anything else as its JSON. */
  public static String string(JsonNode any) {
    JsonNode v = value(any);
    if (v.isNull()) {
      return "";
    }
    return v.isValueNode() ? v.asText() : Json.write(v);
  }

  /** A {@code KeyValue} list as a JSON object. */
  static ObjectNode attributes(JsonNode keyValues) {
    ObjectNode out = Json.object();
    if (keyValues != null && keyValues.isArray()) {
      for (JsonNode kv : keyValues) {
        JsonNode key = kv.get("key");
        if (key != null && key.isTextual()) {
          out.set(key.textValue(), value(kv.get("value")));
        }
      }
    }
    return out;
  }

  /** A {@code KeyValue} list as {@code [[key, text], …]}, the shape upstream gives metric points. */
  static ArrayNode pairs(JsonNode keyValues) {
    ArrayNode out = Json.mapper().createArrayNode();
    if (keyValues != null && keyValues.isArray()) {
      for (JsonNode kv : keyValues) {
        JsonNode key = kv.get("key");
        if (key != null && key.isTextual()) {
          out.addArray().add(key.textValue()).add(string(kv.get("value")));
        }
      }
    }
    return out;
  }

  /** A resource's attributes as an object of texts, the shape upstream stores with each log. */
  static ObjectNode resource(JsonNode resource) {
    ObjectNode out = Json.object();
    for (Iterator<java.util.Map.Entry<String, JsonNode>> it = attributes(field(resource, "attributes", "attributes")).fields(); it.hasNext(); ) {
      var e = it.next();
      out.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : Json.write(e.getValue()));
    }
    return out;
  }

  /** A number data point's value ({@code asDouble} or {@code asInt}); 0 when neither. */
  static double pointValue(JsonNode point) {
    JsonNode d = field(point, "asDouble", "as_double");
    if (!d.isMissingNode()) {
      double v = d.isNumber() ? d.doubleValue() : parseDouble(d.asText());
      return Double.isFinite(v) ? v : 0;
    }
    JsonNode i = field(point, "asInt", "as_int");
    if (i.isNumber()) {
      return i.doubleValue();
    }
    if (i.isTextual()) {
      return parseDouble(i.textValue());
    }
    return 0;
  }

  private static double parseDouble(String text) {
    try {
      return Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
