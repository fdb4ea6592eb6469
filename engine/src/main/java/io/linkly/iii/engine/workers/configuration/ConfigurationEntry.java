package io.linkly.iii.engine.workers.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.Json;

/**
 * One stored configuration: {@code value} verbatim (placeholders unexpanded; null when none was
 * given), {@code schema} null when unknown (a file loaded from disk before its owner registered).
 */
record ConfigurationEntry(String id, String name, String description, JsonNode schema, JsonNode value, JsonNode metadata) {

  ConfigurationEntry withValue(JsonNode newValue) {
    return new ConfigurationEntry(id, name, description, schema, newValue, metadata);
  }

  /** {@code {id, name, description, schema, metadata?}}: what list and schema show. */
  ObjectNode view() {
    ObjectNode out = Json.object();
    out.put("id", id);
    out.put("name", name);
    out.put("description", description);
    out.set("schema", schema == null ? Json.mapper().nullNode() : schema);
    if (metadata != null && !metadata.isNull()) {
      out.set("metadata", metadata);
    }
    return out;
  }

  /** The view with the stored value: what register returns. */
  ObjectNode withStoredValue() {
    ObjectNode out = view();
    out.set("value", value == null ? Json.mapper().nullNode() : value);
    return out;
  }
}
