package io.linkly.iii.engine.workers.httpfunctions;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.protocol.ErrorCodes;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A registration's {@code invocation} block as sent (PROTOCOL.md §3.1): {@code url} (required),
 * {@code method} (upper case; POST when absent), {@code timeout_ms}, {@code headers} and the
 * {@code auth} reference, still unresolved. A block upstream cannot read makes it drop the whole
 * frame; here the registration is refused with {@code deserialization_error} and the reason.
 * Unknown keys are ignored, as upstream's are.
 */
record HttpEndpoint(String url, String method, Long timeoutMs, Map<String, String> headers, JsonNode auth) {

  static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");

  static HttpEndpoint parse(JsonNode block) {
    if (block == null || !block.isObject()) {
      throw invalid("expected an object");
    }
    JsonNode url = block.get("url");
    if (url == null || url.isNull()) {
      throw invalid("missing field `url`");
    }
    if (!url.isTextual()) {
      throw invalid("`url` must be a string");
    }
    String method = "POST";
    JsonNode m = block.get("method");
    if (m != null && !m.isNull()) {
      if (!m.isTextual() || !METHODS.contains(m.textValue())) {
        throw invalid("unknown `method` " + m + ", expected one of GET, POST, PUT, PATCH, DELETE");
      }
      method = m.textValue();
    }
    Long timeoutMs = null;
    JsonNode t = block.get("timeout_ms");
    if (t != null && !t.isNull()) {
      if (!t.isIntegralNumber() || !t.canConvertToLong() || t.longValue() < 0) {
        throw invalid("`timeout_ms` must be a whole number of milliseconds, got " + t);
      }
      timeoutMs = t.longValue();
    }
    Map<String, String> headers = new LinkedHashMap<>();
    JsonNode h = block.get("headers");
    if (h != null && !h.isNull()) {
      if (!h.isObject()) {
        throw invalid("`headers` must be an object of strings");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> header = it.next();
        if (!header.getValue().isTextual()) {
          throw invalid("header `" + header.getKey() + "` must be a string");
        }
        headers.put(header.getKey(), header.getValue().textValue());
      }
    }
    JsonNode auth = block.get("auth");
    return new HttpEndpoint(url.textValue(), method, timeoutMs, Map.copyOf(headers), auth == null || auth.isNull() ? null : auth);
  }

  static InvocationException invalid(String detail) {
    return new InvocationException(ErrorCodes.DESERIALIZATION_ERROR, "invalid invocation: " + detail);
  }
}
