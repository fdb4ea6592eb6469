package io.linkly.iii.engine.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.Iterator;
import java.util.Set;

/**
 * Strict, typed reads from one worker's config block. Every error names the full key path, such
 * as {@code workers[0].config.port}, so a bad config gets one clear line.
 */
public final class ConfigBlock {

  private final String path;
  private final JsonNode node;

  public ConfigBlock(String path, JsonNode node) {
    this.path = path;
    this.node = node == null || node.isNull() ? MissingNode.getInstance() : node;
  }

  public static ConfigBlock of(WorkerEntry entry) throws ConfigException {
    ConfigBlock block = new ConfigBlock(entry.path() + ".config", entry.config());
    if (!block.node.isMissingNode() && !block.node.isObject()) {
      throw new ConfigException(block.path + ": must be a mapping");
    }
    return block;
  }

  public String path() {
    return path;
  }

  public JsonNode node() {
    return node;
  }

  /** Rejects keys the worker does not know (upstream's config blocks are strict). */
  public ConfigBlock onlyKeys(Set<String> known) throws ConfigException {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new ConfigException(
            path + "." + name + ": unknown key (expected one of " + String.join(", ", known.stream().sorted().toList()) + ")");
      }
    }
    return this;
  }

  public int port(String key, int fallback) throws ConfigException {
    long value = integer(key, fallback);
    if (value < 0 || value > 65535) {
      throw new ConfigException(path + "." + key + ": must be a port number between 0 and 65535, got " + value);
    }
    return (int) value;
  }

  public long integer(String key, long fallback) throws ConfigException {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      return value.longValue();
    }
    if (value.isTextual()) {
      try {
        return Long.parseLong(value.textValue().trim());
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new ConfigException(path + "." + key + ": must be an integer, got " + value);
  }

  public long positive(String key, long fallback) throws ConfigException {
    long value = integer(key, fallback);
    if (value <= 0) {
      throw new ConfigException(path + "." + key + ": must be positive, got " + value);
    }
    return value;
  }

  /** A number (integer or decimal); NaN and infinities are refused. */
  public double number(String key, double fallback) throws ConfigException {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (value.isNumber() && Double.isFinite(value.doubleValue())) {
      return value.doubleValue();
    }
    throw new ConfigException(path + "." + key + ": must be a number, got " + value);
  }

  public String string(String key, String fallback) throws ConfigException {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isValueNode() || value.isBinary()) {
      throw new ConfigException(path + "." + key + ": must be a string, got " + value);
    }
    return value.asText();
  }

  public boolean bool(String key, boolean fallback) throws ConfigException {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isBoolean()) {
      throw new ConfigException(path + "." + key + ": must be true or false, got " + value);
    }
    return value.booleanValue();
  }

  public ConfigBlock child(String key) throws ConfigException {
    JsonNode value = node.get(key);
    ConfigBlock child = new ConfigBlock(path + "." + key, value);
    if (!child.node.isMissingNode() && !child.node.isObject()) {
      throw new ConfigException(child.path + ": must be a mapping");
    }
    return child;
  }

  public boolean has(String key) {
    JsonNode value = node.get(key);
    return value != null && !value.isNull();
  }
}
