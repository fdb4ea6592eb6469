package io.linkly.iii.engine.rbac;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.ConfigException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of {@code rbac.expose_functions} (PROTOCOL.md §9.2): a function is exposed when its id
 * matches a {@code match("pattern")}, or when its registered metadata has every listed key with
 * the listed value (an exact JSON value, or a {@code match("…")} pattern for a string value).
 */
public sealed interface FunctionFilter {

  boolean matches(String functionId, JsonNode metadata);

  record ById(WildcardPattern pattern) implements FunctionFilter {
    @Override
    public boolean matches(String functionId, JsonNode metadata) {
      return pattern.matches(functionId);
    }
  }

  record ByMetadata(Map<String, JsonNode> exact, Map<String, WildcardPattern> patterns) implements FunctionFilter {
    @Override
    public boolean matches(String functionId, JsonNode metadata) {
      if (metadata == null || !metadata.isObject()) {
        return false;
      }
      for (Map.Entry<String, JsonNode> e : exact.entrySet()) {
        if (!e.getValue().equals(metadata.get(e.getKey()))) {
          return false;
        }
      }
      for (Map.Entry<String, WildcardPattern> e : patterns.entrySet()) {
        JsonNode value = metadata.get(e.getKey());
        if (value == null || !value.isTextual() || !e.getValue().matches(value.textValue())) {
          return false;
        }
      }
      return true;
    }
  }

  static FunctionFilter parse(JsonNode node, String path) throws ConfigException {
    if (node.isTextual()) {
      String pattern = WildcardPattern.unwrap(node.textValue());
      if (pattern == null) {
        throw new ConfigException(path + ": expected match(\"pattern\"), got " + node.textValue());
      }
      return new ById(new WildcardPattern(pattern));
    }
    JsonNode wanted = node.path("metadata");
    if (!wanted.isObject() || wanted.isEmpty()) {
      throw new ConfigException(path + ": expected match(\"pattern\") or {metadata: {key: value, …}}");
    }
    Map<String, JsonNode> exact = new LinkedHashMap<>();
    Map<String, WildcardPattern> patterns = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : wanted.properties()) {
      String pattern = e.getValue().isTextual() ? WildcardPattern.unwrap(e.getValue().textValue()) : null;
      if (pattern != null) {
        patterns.put(e.getKey(), new WildcardPattern(pattern));
      } else {
        exact.put(e.getKey(), e.getValue());
      }
    }
    return new ByMetadata(Map.copyOf(exact), Map.copyOf(patterns));
  }
}
