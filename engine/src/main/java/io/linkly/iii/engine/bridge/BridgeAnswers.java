package io.linkly.iii.engine.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.protocol.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the backend's answers to store operations. An answer of the wrong shape (a backend of
 * another version, or a function that took over a built-in's id there) is the bridge's error,
 * naming the function and what came back.
 */
public final class BridgeAnswers {

  private BridgeAnswers() {}

  /** The answer as an object, such as {@code {old_value, new_value}}. */
  public static ObjectNode object(BridgeClient bridge, String functionId, JsonNode answer) throws BridgeException {
    if (answer instanceof ObjectNode object) {
      return object;
    }
    throw unexpected(bridge, functionId, answer, "an object");
  }

  /** The answer as an array; no answer is an empty one. */
  public static ArrayNode array(BridgeClient bridge, String functionId, JsonNode answer) throws BridgeException {
    if (answer == null) {
      return Json.mapper().createArrayNode();
    }
    if (answer instanceof ArrayNode array) {
      return array;
    }
    throw unexpected(bridge, functionId, answer, "an array");
  }

  /** An array's strings, such as group names. */
  public static List<String> strings(BridgeClient bridge, String functionId, JsonNode array) throws BridgeException {
    List<String> out = new ArrayList<>();
    for (JsonNode item : array(bridge, functionId, array)) {
      if (!item.isTextual()) {
        throw unexpected(bridge, functionId, array, "an array of strings");
      }
      out.add(item.textValue());
    }
    return out;
  }

  /** A field of an answer; absent and JSON null are both "no value" (null), as on the wire. */
  public static JsonNode field(ObjectNode answer, String name) {
    JsonNode value = answer.get(name);
    return value == null || value.isNull() ? null : value;
  }

  private static BridgeException unexpected(BridgeClient bridge, String functionId, JsonNode answer, String expected) {
    String shown = answer == null ? "nothing" : LogSafe.escape(answer.toString()); // cut short if long
    return new BridgeException("bridge " + bridge.url() + ": " + functionId + " answered " + shown + ", expected " + expected);
  }
}
