package io.linkly.iii.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.linkly.iii.protocol.Json;
import java.io.IOException;
import java.util.List;

/**
 * Builds the payload of {@code iii trigger} as upstream does (BUILTINS.md §16): each
 * {@code key=value} value is JSON when it parses as JSON, else a string; {@code --json} gives the
 * whole payload, and key/value tokens override its keys.
 */
final class TriggerPayload {

  private TriggerPayload() {}

  static JsonNode build(List<String> tokens, String json) {
    JsonNode base = null;
    if (json != null) {
      base = parse(json);
      if (base == null) {
        throw new IllegalArgumentException("--json: invalid JSON '" + json + "'");
      }
    }
    if (tokens.isEmpty()) {
      return base == null ? Json.object() : base;
    }
    if (base != null && !base.isObject()) {
      throw new IllegalArgumentException("--json must be an object when combined with kv pairs");
    }
    ObjectNode payload = base == null ? Json.object() : (ObjectNode) base;
    for (String token : tokens) {
      int eq = token.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("expected key=value, got '" + token + "'");
      }
      String key = token.substring(0, eq);
      if (key.isEmpty()) {
        throw new IllegalArgumentException("payload key must not be empty");
      }
      String raw = token.substring(eq + 1);
      JsonNode value = parse(raw);
      payload.set(key, value == null ? TextNode.valueOf(raw) : value);
    }
    return payload;
  }

  /** The JSON value of {@code text}, or null when it is not exactly one JSON value. */
  private static JsonNode parse(String text) {
    try (var parser = Json.mapper().createParser(text)) {
      JsonNode node = Json.mapper().readTree(parser);
      if (node == null || node.isMissingNode() || parser.nextToken() != null) {
        return null;
      }
      return node;
    } catch (IOException e) {
      return null;
    }
  }
}
