package io.linkly.iii.engine.workers.stream.adapter;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;
import java.io.IOException;

/**
 * The text a {@link StreamChange} travels as on the Redis channel: upstream's stream wrapper
 * message, {@code {"type":"stream","timestamp","streamName","groupId","id","event":{"type",
 * "data"}}} ({@code "event":{"type":"event","event":{type, data}}} for {@code stream::send}), so an
 * upstream engine on the same Redis and this one understand each other.
 *
 * <p>The write scripts finish the message inside Redis, where the change's kind and (for a
 * delete) its data are known: they append {@code <kind>","data":<value>}}} to {@link #head}.
 */
final class ChangeMessages {

  private ChangeMessages() {}

  /** The message up to and including the opening quote of {@code event.type}. */
  static String head(String stream, String group, String itemId, long timestamp) {
    StringBuilder out = new StringBuilder(96 + stream.length() + group.length());
    out.append("{\"type\":\"stream\",\"timestamp\":").append(timestamp).append(",\"streamName\":");
    quote(out, stream);
    out.append(",\"groupId\":");
    quote(out, group);
    out.append(",\"id\":");
    if (itemId == null) {
      out.append("null");
    } else {
      quote(out, itemId);
    }
    return out.append(",\"event\":{\"type\":\"").toString();
  }

  /** The whole message of a change. */
  static String encode(StreamChange change) {
    String field = StreamChange.EVENT.equals(change.kind()) ? "event" : "data";
    return head(change.stream(), change.group(), change.itemId(), change.timestamp())
        + change.kind() + "\",\"" + field + "\":" + Json.write(change.data() == null ? Json.mapper().nullNode() : change.data()) + "}}";
  }

  /** The change a message carries, or null when it is not one (not JSON, not a change, a control frame). */
  static StreamChange decode(String message) {
    JsonNode root;
    try {
      root = Json.mapper().readTree(message);
    } catch (IOException e) {
      return null;
    }
    if (root == null || !root.isObject()) {
      return null;
    }
    JsonNode stream = root.get("streamName");
    JsonNode group = root.get("groupId");
    JsonNode id = root.get("id");
    JsonNode timestamp = root.get("timestamp");
    JsonNode event = root.get("event");
    if (stream == null || !stream.isTextual() || group == null || !group.isTextual() || event == null || !event.isObject()
        || timestamp == null || !timestamp.canConvertToLong()) {
      return null;
    }
    String itemId = id != null && id.isTextual() ? id.textValue() : null;
    String kind = event.path("type").asText("");
    JsonNode data;
    switch (kind) {
      case StreamChange.CREATE, StreamChange.UPDATE, StreamChange.DELETE -> {
        if (itemId == null) {
          return null;
        }
        data = event.has("data") ? event.get("data") : Json.mapper().nullNode();
      }
      case StreamChange.EVENT -> {
        data = event.get("event");
        if (data == null || !data.isObject()) {
          return null;
        }
      }
      default -> {
        return null; // sync, unauthorized: per-socket frames that have no business on the channel
      }
    }
    return new StreamChange(stream.textValue(), group.textValue(), itemId, kind, data, timestamp.longValue());
  }

  private static void quote(StringBuilder out, String text) {
    out.append('"');
    JsonStringEncoder.getInstance().quoteAsString(text, out);
    out.append('"');
  }
}
