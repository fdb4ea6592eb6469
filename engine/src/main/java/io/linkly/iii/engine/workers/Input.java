package io.linkly.iii.engine.workers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.protocol.ErrorCodes;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads from a built-in function's input. A wrong or missing field fails the call the way
 * upstream does: {@code deserialization_error}, "Failed to deserialize input for &lt;id&gt;: ...".
 * Unknown fields (such as {@code _caller_worker_id}) are ignored.
 */
public final class Input {

  private final String functionId;
  private final JsonNode data;

  private Input(String functionId, JsonNode data) {
    this.functionId = functionId;
    this.data = data == null || data.isNull() ? MissingNode.getInstance() : data;
  }

  /** The call's input; it must be an object (absent and null read as an empty object). */
  public static Input of(Call call) {
    Input input = new Input(call.functionId(), call.data());
    if (!input.data.isMissingNode() && !input.data.isObject()) {
      throw input.error("invalid type: " + kind(input.data) + ", expected an object");
    }
    return input;
  }

  public JsonNode raw() {
    return data;
  }

  public InvocationException error(String detail) {
    return new InvocationException(
        ErrorCodes.DESERIALIZATION_ERROR, "Failed to deserialize input for " + functionId + ": " + detail);
  }

  public String requiredString(String field) {
    String value = optionalString(field);
    if (value == null) {
      throw error("missing field `" + field + "`");
    }
    return value;
  }

  public String optionalString(String field) {
    JsonNode value = data.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw error("invalid type: " + kind(value) + ", expected a string (field `" + field + "`)");
    }
    return value.textValue();
  }

  public boolean optionalBool(String field, boolean fallback) {
    JsonNode value = data.get(field);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isBoolean()) {
      throw error("invalid type: " + kind(value) + ", expected a boolean (field `" + field + "`)");
    }
    return value.booleanValue();
  }

  public Long optionalLong(String field) {
    JsonNode value = data.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw error("invalid type: " + kind(value) + ", expected an integer (field `" + field + "`)");
    }
    return value.longValue();
  }

  public List<String> optionalStrings(String field) {
    JsonNode value = data.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isArray()) {
      throw error("invalid type: " + kind(value) + ", expected a list of strings (field `" + field + "`)");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode item : value) {
      if (!item.isTextual()) {
        throw error("invalid type: " + kind(item) + ", expected a string (field `" + field + "`)");
      }
      out.add(item.textValue());
    }
    return out;
  }

  /** A JSON array, or null when absent. */
  public JsonNode optionalArray(String field) {
    JsonNode value = data.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isArray()) {
      throw error("invalid type: " + kind(value) + ", expected a sequence (field `" + field + "`)");
    }
    return value;
  }

  /** A required array whose every element is an object, each read as an Input of its own. */
  public List<Input> requiredObjects(String field) {
    JsonNode value = requiredTree(field);
    if (!value.isArray()) {
      throw error("invalid type: " + kind(value) + ", expected a sequence (field `" + field + "`)");
    }
    List<Input> out = new ArrayList<>();
    for (JsonNode item : value) {
      if (!item.isObject()) {
        throw error("invalid type: " + kind(item) + ", expected a map (field `" + field + "`)");
      }
      out.add(new Input(functionId, item));
    }
    return out;
  }

  /** Any JSON value, or null when absent. */
  public JsonNode optionalTree(String field) {
    JsonNode value = data.get(field);
    return value == null || value.isNull() ? null : value;
  }

  /** A key that must be present; its value may be any JSON including null. */
  public JsonNode requiredTree(String field) {
    JsonNode value = data.get(field);
    if (value == null) {
      throw error("missing field `" + field + "`");
    }
    return value;
  }

  private static String kind(JsonNode value) {
    return switch (value.getNodeType()) {
      case STRING -> "string " + value;
      case NUMBER -> (value.isIntegralNumber() ? "integer " : "floating point ") + value;
      case BOOLEAN -> "boolean `" + value + "`";
      case ARRAY -> "sequence";
      case OBJECT -> "map";
      case NULL -> "null";
      default -> value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
