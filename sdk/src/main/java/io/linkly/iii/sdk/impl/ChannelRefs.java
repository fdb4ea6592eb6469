package io.linkly.iii.sdk.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import io.linkly.iii.sdk.ChannelReader;
import io.linkly.iii.sdk.ChannelWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Channel refs inside payloads (PROTOCOL.md §7.1): any object with exactly the string fields
 * {@code channel_id}, {@code access_key} and {@code direction} ({@code read}/{@code write}) is an
 * end of a channel. A handler gets them as live {@link ChannelReader}/{@link ChannelWriter}
 * objects (held in {@link POJONode}s, which Jackson hands to typed inputs as they are).
 */
public final class ChannelRefs {

  /** Payloads nest; refs deeper than this are left as JSON rather than walking without end. */
  private static final int MAX_DEPTH = 32;

  private final String base;

  /** {@code engineUrl} is the worker socket URL, such as {@code ws://127.0.0.1:49134/}. */
  public ChannelRefs(String engineUrl) {
    this.base = engineUrl.endsWith("/") ? engineUrl.substring(0, engineUrl.length() - 1) : engineUrl;
  }

  /**
   * {@code data} with every ref replaced, in place, by its live end (which connects only when
   * used). The input of a call is the handler's own (parsed from its frame, or copied for an
   * in-process worker), so it is not copied again.
   */
  public JsonNode materialize(JsonNode data) {
    return data == null ? null : replace(data, 0);
  }

  public ChannelReader reader(ObjectNode ref) {
    return new ChannelReader(() -> uri(ref, "read"), ref);
  }

  public ChannelWriter writer(ObjectNode ref) {
    return new ChannelWriter(() -> uri(ref, "write"), ref);
  }

  private URI uri(ObjectNode ref, String direction) {
    return URI.create(
        base + "/ws/channels/" + URLEncoder.encode(ref.get("channel_id").textValue(), StandardCharsets.UTF_8)
            + "?key=" + URLEncoder.encode(ref.get("access_key").textValue(), StandardCharsets.UTF_8)
            + "&dir=" + direction);
  }

  static boolean isRef(JsonNode node) {
    if (!node.isObject() || node.size() != 3) {
      return false;
    }
    JsonNode id = node.get("channel_id");
    JsonNode key = node.get("access_key");
    JsonNode direction = node.get("direction");
    return id != null && id.isTextual()
        && key != null && key.isTextual()
        && direction != null && ("read".equals(direction.textValue()) || "write".equals(direction.textValue()));
  }

  /** Replaces the refs below {@code node}, touching only the fields and items that are refs. */
  private JsonNode replace(JsonNode node, int depth) {
    if (isRef(node)) {
      return live((ObjectNode) node);
    }
    if (depth < MAX_DEPTH && node instanceof ObjectNode object) {
      List<String> refs = new ArrayList<>(2);
      object.fields().forEachRemaining(field -> {
        if (isRef(field.getValue())) {
          refs.add(field.getKey());
        } else if (field.getValue().isContainerNode()) {
          replace(field.getValue(), depth + 1);
        }
      });
      refs.forEach(name -> object.set(name, live((ObjectNode) object.get(name))));
    } else if (depth < MAX_DEPTH && node instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        JsonNode item = array.get(i);
        if (isRef(item)) {
          array.set(i, live((ObjectNode) item));
        } else if (item.isContainerNode()) {
          replace(item, depth + 1);
        }
      }
    }
    return node;
  }

  private POJONode live(ObjectNode ref) {
    return new POJONode("read".equals(ref.get("direction").textValue()) ? reader(ref) : writer(ref));
  }
}
