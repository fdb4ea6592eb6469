package io.linkly.iii.engine.workers.observability.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.workers.observability.OtlpJson;
import io.opentelemetry.api.trace.SpanKind;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Spans an SDK sends as an OTLP JSON {@code ExportTraceServiceRequest} (the body of an
 * {@code OTLP} frame, PROTOCOL.md §1.9), as stored spans. OTLP JSON as the Node SDK writes it: hex
 * ids, times as decimal strings (numbers and {@code {low, high}} pairs are read too), enums as
 * numbers or names. Spans without a valid trace or span id are skipped.
 */
final class OtlpJsonSpans {

  private OtlpJsonSpans() {}

  static List<StoredSpan> read(JsonNode request) {
    List<StoredSpan> out = new ArrayList<>();
    if (request == null) {
      return out;
    }
    for (JsonNode resourceSpans : request.path("resourceSpans")) {
      String service = "unknown";
      for (JsonNode attribute : resourceSpans.path("resource").path("attributes")) {
        if ("service.name".equals(attribute.path("key").asText())) {
          service = OtlpJson.string(attribute.path("value"));
        }
      }
      for (JsonNode scopeSpans : resourceSpans.path("scopeSpans")) {
        JsonNode scope = scopeSpans.path("scope");
        String scopeName = textOrNull(scope.get("name"));
        String scopeVersion = textOrNull(scope.get("version"));
        for (JsonNode span : scopeSpans.path("spans")) {
          StoredSpan stored = span(span, service, scopeName, scopeVersion);
          if (stored != null) {
            out.add(stored);
          }
        }
      }
    }
    return out;
  }

  private static StoredSpan span(JsonNode span, String service, String scopeName, String scopeVersion) {
    String traceId = span.path("traceId").asText("").toLowerCase(java.util.Locale.ROOT);
    String spanId = span.path("spanId").asText("").toLowerCase(java.util.Locale.ROOT);
    if (!isId(traceId, 32) || !isId(spanId, 16)) {
      return null;
    }
    String parent = span.path("parentSpanId").asText("").toLowerCase(java.util.Locale.ROOT);
    List<StoredSpan.Event> events = new ArrayList<>();
    for (JsonNode event : span.path("events")) {
      events.add(new StoredSpan.Event(event.path("name").asText(""), nanos(event.get("timeUnixNano")), pairs(event.path("attributes"))));
    }
    List<StoredSpan.Link> links = new ArrayList<>();
    for (JsonNode link : span.path("links")) {
      links.add(
          new StoredSpan.Link(
              link.path("traceId").asText(""), link.path("spanId").asText(""), textOrNull(link.get("traceState")), pairs(link.path("attributes"))));
    }
    JsonNode status = span.path("status");
    String message = textOrNull(status.get("message"));
    JsonNode flags = span.get("flags");
    return new StoredSpan(
        traceId,
        spanId,
        isId(parent, 16) ? parent : null,
        span.path("name").asText(""),
        kind(span.get("kind")),
        nanos(span.get("startTimeUnixNano")),
        nanos(span.get("endTimeUnixNano")),
        status(status.get("code")),
        message == null || message.isEmpty() ? null : message,
        pairs(span.path("attributes")),
        service,
        events,
        links,
        scopeName,
        scopeVersion,
        flags != null && flags.canConvertToInt() ? flags.intValue() : null,
        textOrNull(span.get("traceState")));
  }

  private static SpanKind kind(JsonNode kind) {
    String text = kind == null || kind.isNull() ? "" : kind.asText();
    return switch (text) {
      case "2", "SPAN_KIND_SERVER" -> SpanKind.SERVER;
      case "3", "SPAN_KIND_CLIENT" -> SpanKind.CLIENT;
      case "4", "SPAN_KIND_PRODUCER" -> SpanKind.PRODUCER;
      case "5", "SPAN_KIND_CONSUMER" -> SpanKind.CONSUMER;
      default -> SpanKind.INTERNAL;
    };
  }

  private static String status(JsonNode code) {
    if (code == null || code.isNull()) {
      return "unset";
    }
    String text = code.asText();
    if (text.equals("1") || text.equals("STATUS_CODE_OK")) {
      return "ok";
    }
    if (text.equals("2") || text.equals("STATUS_CODE_ERROR")) {
      return "error";
    }
    return "unset";
  }

  /** OTLP fixed64 nanoseconds: a decimal string, a number, or a {@code {low, high}} pair. */
  private static long nanos(JsonNode node) {
    if (node == null || node.isNull()) {
      return 0;
    }
    if (node.isNumber()) {
      return node.longValue();
    }
    if (node.isTextual()) {
      try {
        return new BigInteger(node.textValue().trim()).longValue();
      } catch (NumberFormatException e) {
        return 0;
      }
    }
    if (node.isObject()) {
      long low = node.path("low").asLong() & 0xffffffffL;
      long high = node.path("high").asLong() & 0xffffffffL;
      return (high << 32) | low;
    }
    return 0;
  }

  private static List<Map.Entry<String, String>> pairs(JsonNode attributes) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    for (JsonNode attribute : attributes) {
      String key = attribute.path("key").asText(null);
      if (key != null) {
        out.add(Map.entry(key, OtlpJson.string(attribute.path("value"))));
      }
    }
    return out;
  }

  private static String textOrNull(JsonNode node) {
    return node == null || node.isNull() ? null : node.asText();
  }

  private static boolean isId(String id, int length) {
    if (id.length() != length) {
      return false;
    }
    boolean nonZero = false;
    for (int i = 0; i < length; i++) {
      char c = id.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
      nonZero |= c != '0';
    }
    return nonZero;
  }
}
