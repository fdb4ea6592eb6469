package io.linkly.iii.engine.updates;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.Json;

/**
 * Why one op of a batch did not apply. {@code opIndex} is the op's position in the original list,
 * so a caller can tell which of its ops failed even though the others applied.
 */
public record UpdateError(int opIndex, String code, String message, String docUrl) {

  public static final String DOC_URL = "https://iii.dev/docs/workers/iii-state#error-codes";

  static UpdateError of(int opIndex, String code, String message) {
    return new UpdateError(opIndex, code, message, DOC_URL);
  }

  /** The wire shape {@code {op_index, code, message, doc_url?}}. */
  public ObjectNode toJson() {
    ObjectNode out = Json.object();
    out.put("op_index", opIndex);
    out.put("code", code);
    out.put("message", message);
    if (docUrl != null) {
      out.put("doc_url", docUrl);
    }
    return out;
  }

  /** Reads the wire shape back, as another engine answered it ({@code bridge} adapters). */
  public static UpdateError fromJson(JsonNode error) {
    return new UpdateError(
        error.path("op_index").asInt(),
        error.path("code").asText(""),
        error.path("message").asText(""),
        error.hasNonNull("doc_url") ? error.get("doc_url").asText() : null);
  }
}
