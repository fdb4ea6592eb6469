package io.linkly.iii.protocol;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one JSON configuration every module shares. The mapper is configured once here and never
 * changed afterwards, so sharing it is safe.
 *
 * <p>Much of the writing happens on virtual threads that live for one call. Jackson's default
 * per-thread buffer recycling would give each of them fresh buffers (the redirect profile showed
 * buffer allocation as the top cost of writing), so buffers are recycled through one shared pool.
 */
public final class Json {

  private static final ObjectMapper MAPPER =
      JsonMapper.builder(
              com.fasterxml.jackson.core.JsonFactory.builder()
                  .recyclerPool(com.fasterxml.jackson.core.util.JsonRecyclerPools.sharedConcurrentDequePool())
                  .build())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .build();

  private Json() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  /**
   * Converts any Jackson-mappable value (record, map, list, primitive) into a tree. Maps with
   * string keys, lists, strings, ints, longs and booleans, the bulk of what handlers return and
   * callers send, are built directly: Jackson's own path writes them into a token buffer and reads
   * that back, which the import profile showed as a tenth of its time. Anything else (a record, a
   * float, an object with {@code @JsonValue}) is Jackson's, value by value, so the tree is the same.
   */
  public static JsonNode toTree(Object value) {
    return tree(value, false);
  }

  /**
   * As {@link #toTree}, but the tree shares no container with {@code value}: a tree given (whole
   * or inside a map or list) is copied, one built here is not. What the caller may change later
   * then cannot change the result, at the price of copying only the trees the caller handed in.
   */
  public static JsonNode ownedTree(Object value) {
    return tree(value, true);
  }

  private static JsonNode tree(Object value, boolean owned) {
    JsonNode plain = plainTree(value, owned);
    return plain != null ? plain : MAPPER.valueToTree(value); // Jackson's tree is always a new one
  }

  private static JsonNode plainTree(Object value, boolean owned) {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    if (value == null) {
      return nodes.nullNode();
    } else if (value instanceof JsonNode node) {
      return owned && node.isContainerNode() ? node.deepCopy() : node; // value nodes are immutable
    } else if (value instanceof String text) {
      return nodes.textNode(text);
    } else if (value instanceof Integer number) {
      return nodes.numberNode(number);
    } else if (value instanceof Long number) {
      return nodes.numberNode(number);
    } else if (value instanceof Boolean flag) {
      return nodes.booleanNode(flag);
    } else if (value instanceof java.util.Map<?, ?> map) {
      ObjectNode object = nodes.objectNode();
      for (java.util.Map.Entry<?, ?> entry : map.entrySet()) {
        if (!(entry.getKey() instanceof String key)) {
          return null; // Jackson's key serializers decide
        }
        object.set(key, tree(entry.getValue(), owned));
      }
      return object;
    } else if (value instanceof java.util.List<?> list) {
      com.fasterxml.jackson.databind.node.ArrayNode array = nodes.arrayNode(list.size());
      for (Object item : list) {
        array.add(tree(item, owned));
      }
      return array;
    }
    return null;
  }

  /** Converts a tree into the given type; mapping errors surface as IllegalArgumentException. */
  public static <T> T fromTree(JsonNode node, Class<T> type) {
    if (type == JsonNode.class) {
      return type.cast(node);
    }
    try {
      return MAPPER.treeToValue(node, type);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(e.getOriginalMessage(), e);
    }
  }

  /** Compact JSON text of a tree. */
  public static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Two-space indent, {@code "key": value}, {@code []} for empty arrays: serde_json's pretty form. */
  private static final com.fasterxml.jackson.core.util.DefaultPrettyPrinter PRETTY =
      new com.fasterxml.jackson.core.util.DefaultPrettyPrinter(
              com.fasterxml.jackson.core.util.Separators.createDefaultInstance()
                  .withObjectFieldValueSpacing(com.fasterxml.jackson.core.util.Separators.Spacing.AFTER)
                  .withObjectEmptySeparator("")
                  .withArrayEmptySeparator(""))
          .withArrayIndenter(com.fasterxml.jackson.core.util.DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
          .withObjectIndenter(com.fasterxml.jackson.core.util.DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));

  /** Two-space indented JSON text, as the {@code iii trigger} command prints it. */
  public static String writePretty(JsonNode node) {
    try {
      return MAPPER.writer(PRETTY).writeValueAsString(node);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
