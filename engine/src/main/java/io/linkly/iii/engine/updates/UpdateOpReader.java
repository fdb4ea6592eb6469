package io.linkly.iii.engine.updates;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the wire form of an {@code ops} list: an array of objects tagged by a lowercase
 * {@code type}. Shapes follow upstream's SDK types: {@code set/increment/decrement/remove} need a
 * string {@code path}; {@code merge/append} take an optional path that is a string or an array of
 * strings, and a required {@code value}; {@code by} is a signed 64-bit integer.
 */
public final class UpdateOpReader {

  private static final String VARIANTS =
      "expected one of `set`, `merge`, `increment`, `decrement`, `append`, `remove`";

  private UpdateOpReader() {}

  public static List<UpdateOp> read(JsonNode ops) throws UpdateOpSyntaxException {
    if (ops == null || !ops.isArray()) {
      throw new UpdateOpSyntaxException(
          "invalid type: " + kind(ops) + ", expected a sequence (field `ops`)");
    }
    List<UpdateOp> out = new ArrayList<>(ops.size());
    for (int i = 0; i < ops.size(); i++) {
      try {
        out.add(readOne(ops.get(i)));
      } catch (UpdateOpSyntaxException e) {
        throw new UpdateOpSyntaxException(e.getMessage() + " (ops[" + i + "])");
      }
    }
    return out;
  }

  public static UpdateOp readOne(JsonNode op) throws UpdateOpSyntaxException {
    if (op == null || !op.isObject()) {
      throw new UpdateOpSyntaxException("invalid type: " + kind(op) + ", expected internally tagged enum UpdateOp");
    }
    JsonNode type = op.get("type");
    if (type == null) {
      throw new UpdateOpSyntaxException("missing field `type`");
    }
    if (!type.isTextual()) {
      throw new UpdateOpSyntaxException("invalid type: " + kind(type) + ", expected variant identifier");
    }
    return switch (type.textValue()) {
      case "set" -> new UpdateOp.Set(fieldPath(op), optional(op, "value"));
      case "merge" -> new UpdateOp.Merge(segments(op), required(op, "value"));
      case "increment" -> new UpdateOp.Increment(fieldPath(op), by(op));
      case "decrement" -> new UpdateOp.Decrement(fieldPath(op), by(op));
      case "append" -> new UpdateOp.Append(segments(op), required(op, "value"));
      case "remove" -> new UpdateOp.Remove(fieldPath(op));
      default -> throw new UpdateOpSyntaxException("unknown variant `" + type.textValue() + "`, " + VARIANTS);
    };
  }

  private static String fieldPath(JsonNode op) throws UpdateOpSyntaxException {
    JsonNode path = op.get("path");
    if (path == null) {
      throw new UpdateOpSyntaxException("missing field `path`");
    }
    if (!path.isTextual()) {
      throw new UpdateOpSyntaxException("invalid type: " + kind(path) + ", expected a string");
    }
    return path.textValue();
  }

  /** Absent, null, {@code ""} and {@code []} all mean the root. */
  private static List<String> segments(JsonNode op) throws UpdateOpSyntaxException {
    JsonNode path = op.get("path");
    if (path == null || path.isNull()) {
      return List.of();
    }
    if (path.isTextual()) {
      return path.textValue().isEmpty() ? List.of() : List.of(path.textValue());
    }
    if (path.isArray()) {
      List<String> out = new ArrayList<>(path.size());
      for (JsonNode segment : path) {
        if (!segment.isTextual()) {
          throw untaggedPath();
        }
        out.add(segment.textValue());
      }
      return out;
    }
    throw untaggedPath();
  }

  private static UpdateOpSyntaxException untaggedPath() {
    return new UpdateOpSyntaxException("data did not match any variant of untagged enum MergePath");
  }

  private static long by(JsonNode op) throws UpdateOpSyntaxException {
    JsonNode by = op.get("by");
    if (by == null) {
      throw new UpdateOpSyntaxException("missing field `by`");
    }
    if (by.isIntegralNumber() && by.canConvertToLong()) {
      return by.longValue();
    }
    if (by.isIntegralNumber()) {
      throw new UpdateOpSyntaxException("invalid value: integer `" + by + "`, expected i64");
    }
    throw new UpdateOpSyntaxException("invalid type: " + kind(by) + ", expected i64");
  }

  private static JsonNode required(JsonNode op, String field) throws UpdateOpSyntaxException {
    JsonNode value = op.get(field);
    if (value == null) {
      throw new UpdateOpSyntaxException("missing field `" + field + "`");
    }
    return value;
  }

  private static JsonNode optional(JsonNode op, String field) {
    JsonNode value = op.get(field);
    return value == null || value.isNull() ? null : value;
  }

  private static String kind(JsonNode value) {
    if (value == null) {
      return "null";
    }
    return switch (value.getNodeType()) {
      case STRING -> "string " + value;
      case NUMBER -> (value.isIntegralNumber() ? "integer `" : "floating point `") + value + "`";
      case BOOLEAN -> "boolean `" + value + "`";
      case ARRAY -> "sequence";
      case OBJECT -> "map";
      default -> "null";
    };
  }
}
