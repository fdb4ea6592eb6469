package io.linkly.iii.engine.updates;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies a batch of {@link UpdateOp}s to a value, with upstream's semantics, bounds and error codes
 * (BUILTINS.md §3). Ops apply in order to one working copy; an op that fails is reported and
 * skipped, and the ops around it still apply.
 *
 * <p>The stored value is never mutated: the batch works on a deep copy, and values taken from ops
 * are copied on insertion, so neither the store nor the caller's ops can be changed behind their
 * owner's back.
 */
public final class UpdateOps {

  public static final int MAX_PATH_DEPTH = 32;
  public static final int MAX_SEGMENT_BYTES = 256;
  public static final int MAX_VALUE_DEPTH = 16;
  public static final int MAX_VALUE_KEYS = 1024;

  /** Keys that become prototype-pollution sinks in any JavaScript consumer that spreads the value. */
  public static final Set<String> PROTO_POLLUTION_KEYS = Set.of("__proto__", "constructor", "prototype");

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private UpdateOps() {}

  /**
   * Applies {@code ops} to {@code current}, which is null when the key does not exist (the batch
   * then starts from {@code {}}, and root numeric and append ops treat the value as missing).
   */
  public static UpdateOutcome apply(JsonNode current, List<UpdateOp> ops) {
    Batch batch = new Batch(current);
    for (int i = 0; i < ops.size(); i++) {
      batch.apply(i, ops.get(i));
    }
    return new UpdateOutcome(batch.value, batch.errors);
  }

  /** The working state of one batch. */
  private static final class Batch {
    private JsonNode value;
    private boolean missing;
    private final List<UpdateError> errors = new ArrayList<>();

    Batch(JsonNode stored) {
      this.missing = stored == null;
      this.value = stored == null ? NODES.objectNode() : stored.deepCopy();
    }

    void apply(int index, UpdateOp op) {
      switch (op) {
        case UpdateOp.Set set -> set(index, set);
        case UpdateOp.Merge merge -> merge(index, merge);
        case UpdateOp.Increment inc -> numeric(index, "increment", inc.path(), inc.by(), true);
        case UpdateOp.Decrement dec -> numeric(index, "decrement", dec.path(), dec.by(), false);
        case UpdateOp.Append append -> append(index, append);
        case UpdateOp.Remove remove -> remove(index, remove);
      }
    }

    private void set(int index, UpdateOp.Set op) {
      if (!validPath(index, "set", fieldSegments(op.path()))) {
        return;
      }
      JsonNode newValue = copyOrNull(op.value());
      if (op.path().isEmpty()) {
        value = newValue;
        missing = false;
      } else if (value instanceof ObjectNode object) {
        object.set(op.path(), newValue);
        missing = false;
      } else {
        fail(index, "set.target_not_object", targetNotObject("set", label(op.path()), value));
      }
    }

    private void merge(int index, UpdateOp.Merge op) {
      List<String> path = op.path();
      if (!validPath(index, "merge", path) || !validMergeValue(index, op.value())) {
        return;
      }
      ObjectNode incoming = (ObjectNode) op.value();
      if (path.isEmpty()) {
        // A root merge into a non-object is a silent no-op upstream (logged, not reported).
        if (value instanceof ObjectNode object) {
          putAllCopies(object, incoming);
          missing = false;
        }
        return;
      }
      putAllCopies(walkOrCreate(path), incoming);
      missing = false;
    }

    private void numeric(int index, String name, String path, long by, boolean add) {
      if (!validPath(index, name, fieldSegments(path))) {
        return;
      }
      if (path.isEmpty()) {
        if (missing) {
          value = add ? Numbers.integer(by) : Numbers.negated(by);
        } else {
          JsonNode result = add ? Numbers.add(value, by) : Numbers.subtract(value, by);
          if (result == null) {
            fail(index, name + ".not_number", notNumber(label(path), value));
            return;
          }
          value = result;
        }
        missing = false;
      } else if (value instanceof ObjectNode object) {
        JsonNode existing = object.get(path);
        if (existing == null) {
          object.set(path, add ? Numbers.integer(by) : Numbers.negated(by));
        } else {
          JsonNode result = add ? Numbers.add(existing, by) : Numbers.subtract(existing, by);
          if (result == null) {
            fail(index, name + ".not_number", notNumber(label(path), existing));
            return;
          }
          object.set(path, result);
        }
        missing = false;
      } else {
        fail(index, name + ".target_not_object", targetNotObject(name, label(path), value));
      }
    }

    private void append(int index, UpdateOp.Append op) {
      List<String> path = op.path();
      if (!validPath(index, "append", path)) {
        return;
      }
      if (path.isEmpty()) {
        JsonNode result = appended(index, missing ? NullNode.getInstance() : value, op.value(), "root");
        if (result != null) {
          value = result;
          missing = false;
        }
        return;
      }
      if (!(value instanceof ObjectNode)) {
        fail(
            index,
            "append.target_not_object",
            "Cannot append at path '" + bracketed(path) + "': target is " + typeName(value) + ", expected object.");
        return;
      }
      String leaf = path.getLast();
      ObjectNode parent = path.size() == 1 ? (ObjectNode) value : walkOrCreate(path.subList(0, path.size() - 1));
      JsonNode existing = parent.get(leaf);
      if (existing == null) {
        // A missing leaf on a nested path is always an array; a top-level one follows the value's kind.
        parent.set(leaf, path.size() == 1 ? initialAppend(op.value()) : NODES.arrayNode().add(op.value().deepCopy()));
      } else {
        JsonNode result = appended(index, existing, op.value(), leaf);
        if (result != null && result != existing) {
          parent.set(leaf, result);
        }
      }
      missing = false;
    }

    private void remove(int index, UpdateOp.Remove op) {
      if (!validPath(index, "remove", fieldSegments(op.path()))) {
        return;
      }
      if (op.path().isEmpty()) {
        value = NullNode.getInstance();
        missing = false;
      } else if (value instanceof ObjectNode object) {
        object.remove(op.path());
        missing = false;
      } else {
        fail(index, "remove.target_not_object", targetNotObject("remove", label(op.path()), value));
      }
    }

    /**
     * Appends {@code item} to {@code target}, returning the node that now holds the result (the
     * same array, a new string, or a fresh value for a null target), or null after reporting a
     * type mismatch.
     */
    private JsonNode appended(int index, JsonNode target, JsonNode item, String path) {
      if (target instanceof ArrayNode array) {
        array.add(item.deepCopy());
        return array;
      }
      if (target.isTextual()) {
        if (!item.isTextual()) {
          fail(
              index,
              "append.type_mismatch",
              "Expected string append value at path '" + label(path) + "', got " + typeName(item) + ".");
          return null;
        }
        return TextNode.valueOf(target.textValue() + item.textValue());
      }
      if (target.isNull()) {
        return initialAppend(item);
      }
      fail(
          index,
          "append.type_mismatch",
          "Cannot append at path '" + label(path) + "': target is " + typeName(target)
              + ", expected array, string, null, or missing field.");
      return null;
    }

    /**
     * Walks {@code segments} from the root, creating missing objects and replacing non-object
     * intermediates with {@code {}} (a non-object root too), and returns the object at the end.
     */
    private ObjectNode walkOrCreate(List<String> segments) {
      if (!(value instanceof ObjectNode)) {
        value = NODES.objectNode();
      }
      ObjectNode node = (ObjectNode) value;
      for (String segment : segments) {
        JsonNode child = node.get(segment);
        if (!(child instanceof ObjectNode)) {
          child = NODES.objectNode();
          node.set(segment, child);
        }
        node = (ObjectNode) child;
      }
      return node;
    }

    private boolean validPath(int index, String op, List<String> segments) {
      if (segments.size() > MAX_PATH_DEPTH) {
        fail(index, op + ".path.too_deep",
            "Path depth " + segments.size() + " exceeds maximum of " + MAX_PATH_DEPTH);
        return false;
      }
      for (String segment : segments) {
        if (segment.isEmpty()) {
          fail(index, op + ".path.empty_segment", "Path contains an empty segment");
          return false;
        }
        int bytes = segment.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_SEGMENT_BYTES) {
          fail(index, op + ".path.segment_too_long",
              "Path segment of " + bytes + " bytes exceeds maximum of " + MAX_SEGMENT_BYTES);
          return false;
        }
        if (PROTO_POLLUTION_KEYS.contains(segment)) {
          fail(index, op + ".path.proto_polluted",
              "Path segment '" + segment + "' is not allowed (prototype pollution).");
          return false;
        }
      }
      return true;
    }

    private boolean validMergeValue(int index, JsonNode mergeValue) {
      if (!(mergeValue instanceof ObjectNode object)) {
        fail(index, "merge.value.not_an_object", "Merge value must be a JSON object");
        return false;
      }
      if (object.size() > MAX_VALUE_KEYS) {
        fail(index, "merge.value.too_many_keys",
            "Merge value has " + object.size() + " top-level keys, exceeds maximum of " + MAX_VALUE_KEYS);
        return false;
      }
      for (Iterator<String> keys = object.fieldNames(); keys.hasNext(); ) {
        String key = keys.next();
        if (PROTO_POLLUTION_KEYS.contains(key)) {
          fail(index, "merge.value.proto_polluted",
              "Merge value top-level key " + debugString(key) + " is a prototype-pollution sink");
          return false;
        }
      }
      int depth = depth(object);
      if (depth > MAX_VALUE_DEPTH) {
        fail(index, "merge.value.too_deep",
            "Merge value JSON nesting depth " + depth + " exceeds maximum of " + MAX_VALUE_DEPTH);
        return false;
      }
      return true;
    }

    private void fail(int index, String code, String message) {
      errors.add(UpdateError.of(index, code, message));
    }
  }

  // ------------------------------------------------------------------ helpers

  private static List<String> fieldSegments(String path) {
    return path.isEmpty() ? List.of() : List.of(path);
  }

  private static JsonNode copyOrNull(JsonNode value) {
    return value == null ? NullNode.getInstance() : value.deepCopy();
  }

  private static JsonNode initialAppend(JsonNode item) {
    return item.isTextual() ? item : NODES.arrayNode().add(item.deepCopy());
  }

  private static void putAllCopies(ObjectNode target, ObjectNode incoming) {
    for (Map.Entry<String, JsonNode> field : incoming.properties()) {
      target.set(field.getKey(), field.getValue().deepCopy());
    }
  }

  /** Nesting depth: objects and arrays count one level each, scalars none. */
  static int depth(JsonNode node) {
    if (!node.isContainerNode()) {
      return 0;
    }
    int deepest = 0;
    for (JsonNode child : node) {
      deepest = Math.max(deepest, depth(child));
    }
    return 1 + deepest;
  }

  private static String label(String path) {
    return path.isEmpty() ? "root" : path;
  }

  /** Segments are shown bracketed, never dot-joined: dots are not separators. */
  private static String bracketed(List<String> segments) {
    return segments.isEmpty() ? "root" : "[" + String.join(", ", segments) + "]";
  }

  private static String targetNotObject(String op, String label, JsonNode target) {
    return "Cannot " + op + " at path '" + label + "': target is " + typeName(target) + ", expected object.";
  }

  private static String notNumber(String label, JsonNode found) {
    return "Expected number at path '" + label + "', got " + typeName(found) + ".";
  }

  static String typeName(JsonNode value) {
    return switch (value.getNodeType()) {
      case NULL, MISSING -> "null";
      case BOOLEAN -> "boolean";
      case NUMBER -> "number";
      case STRING -> "string";
      case ARRAY -> "array";
      case OBJECT, POJO -> "object";
      case BINARY -> "string";
    };
  }

  /** A string quoted and escaped the way upstream's debug formatting shows it. */
  private static String debugString(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
