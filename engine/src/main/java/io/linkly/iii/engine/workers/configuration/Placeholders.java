package io.linkly.iii.engine.workers.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.EnvSubstitution;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code ${VAR}} / {@code ${VAR:default}} in every string leaf of a stored value, with config.yaml's
 * syntax (BUILTINS.md §13). A string that is only a placeholder is typed again by YAML after
 * substitution ({@code "${PORT:3111}"} becomes 3111), except that an empty result stays {@code ""}.
 */
final class Placeholders {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** A variable is unset and has no default; the message names it. */
  static final class UnsetVariable extends Exception {
    UnsetVariable(String message) {
      super(message, null, false, false);
    }
  }

  private Placeholders() {}

  /** A copy of {@code value} with every placeholder substituted (null stays null). */
  static JsonNode expand(JsonNode value, Function<String, String> env) throws UnsetVariable {
    if (value == null) {
      return null;
    }
    if (value.isTextual()) {
      return expandString(value.textValue(), env);
    }
    if (value instanceof ObjectNode object) {
      ObjectNode out = object.objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> fields = object.fields(); fields.hasNext(); ) {
        Map.Entry<String, JsonNode> field = fields.next();
        out.set(field.getKey(), expand(field.getValue(), env));
      }
      return out;
    }
    if (value instanceof ArrayNode array) {
      ArrayNode out = array.arrayNode();
      for (JsonNode item : array) {
        out.add(expand(item, env));
      }
      return out;
    }
    return value;
  }

  private static JsonNode expandString(String text, Function<String, String> env) throws UnsetVariable {
    if (!EnvSubstitution.hasPlaceholder(text)) {
      return TextNode.valueOf(text);
    }
    String expanded;
    try {
      expanded = EnvSubstitution.expand(text, env);
    } catch (ConfigException e) {
      throw new UnsetVariable(e.getMessage());
    }
    if (!EnvSubstitution.isOnlyPlaceholder(text) || expanded.isEmpty()) {
      return TextNode.valueOf(expanded);
    }
    try {
      JsonNode typed = YAML.readTree(expanded);
      return typed == null || typed.isMissingNode() ? TextNode.valueOf(expanded) : typed;
    } catch (IOException e) {
      return TextNode.valueOf(expanded);
    }
  }
}
