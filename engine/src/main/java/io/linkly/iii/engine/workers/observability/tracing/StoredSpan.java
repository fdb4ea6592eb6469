package io.linkly.iii.engine.workers.observability.tracing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.Json;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A finished span as {@code engine::traces::*} return it (BUILTINS.md §11.2): hex ids, times in
 * unix nanoseconds, status {@code ok|error|unset}, attributes as {@code [key, value]} string pairs.
 * The engine's own spans and those an SDK sends as OTLP JSON become the same record. The span's
 * kind is kept for export only: upstream's JSON has no field for it.
 */
record StoredSpan(
    String traceId,
    String spanId,
    String parentSpanId,
    String name,
    SpanKind kind,
    long startNanos,
    long endNanos,
    String status,
    String statusDescription,
    List<Map.Entry<String, String>> attributes,
    String serviceName,
    List<Event> events,
    List<Link> links,
    String scopeName,
    String scopeVersion,
    Integer flags,
    String traceState) {

  record Event(String name, long timeNanos, List<Map.Entry<String, String>> attributes) {}

  record Link(String traceId, String spanId, String traceState, List<Map.Entry<String, String>> attributes) {}

  static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

  long durationNanos() {
    return Math.max(0, endNanos - startNanos);
  }

  String attribute(String key) {
    for (Map.Entry<String, String> a : attributes) {
      if (a.getKey().equals(key)) {
        return a.getValue();
      }
    }
    return null;
  }

  /**
   * Engine plumbing, hidden by default as upstream hides it: spans of {@code engine::*} functions
   * and anything marked {@code iii.function.kind=internal}.
   */
  boolean internal() {
    for (Map.Entry<String, String> a : attributes) {
      String key = a.getKey();
      if ((key.equals("iii.function.kind") && a.getValue().equals("internal"))
          || (key.equals("function_id") && a.getValue().startsWith("engine::"))) {
        return true;
      }
    }
    return false;
  }

  static StoredSpan of(SpanData span) {
    String parent = span.getParentSpanContext().isValid() ? span.getParentSpanId() : null;
    String service = span.getResource().getAttribute(SERVICE_NAME);
    List<Event> events = span.getEvents().isEmpty() ? List.of() : new ArrayList<>(span.getEvents().size());
    for (EventData e : span.getEvents()) {
      events.add(new Event(e.getName(), e.getEpochNanos(), pairs(e.getAttributes())));
    }
    List<Link> links = span.getLinks().isEmpty() ? List.of() : new ArrayList<>(span.getLinks().size());
    for (LinkData l : span.getLinks()) {
      links.add(new Link(l.getSpanContext().getTraceId(), l.getSpanContext().getSpanId(), null, pairs(l.getAttributes())));
    }
    StatusCode code = span.getStatus().getStatusCode();
    String description = span.getStatus().getDescription();
    return new StoredSpan(
        span.getTraceId(),
        span.getSpanId(),
        parent,
        span.getName(),
        span.getKind(),
        span.getStartEpochNanos(),
        span.getEndEpochNanos(),
        code == StatusCode.ERROR ? "error" : code == StatusCode.OK ? "ok" : "unset",
        description == null || description.isEmpty() ? null : description,
        pairs(span.getAttributes()),
        service == null ? "unknown" : service,
        events,
        links,
        span.getInstrumentationScopeInfo().getName(),
        span.getInstrumentationScopeInfo().getVersion(),
        (int) span.getSpanContext().getTraceFlags().asByte(),
        null);
  }

  private static List<Map.Entry<String, String>> pairs(Attributes attributes) {
    List<Map.Entry<String, String>> out = new ArrayList<>(attributes.size());
    attributes.forEach((key, value) -> out.add(Map.entry(key.getKey(), String.valueOf(value))));
    return out;
  }

  /** Upstream's field order; absent optional fields are left out, as serde skips them. */
  ObjectNode toJson() {
    ObjectNode out = Json.object();
    out.put("trace_id", traceId);
    out.put("span_id", spanId);
    if (parentSpanId == null) {
      out.putNull("parent_span_id");
    } else {
      out.put("parent_span_id", parentSpanId);
    }
    out.put("name", name);
    out.put("start_time_unix_nano", startNanos);
    out.put("end_time_unix_nano", endNanos);
    out.put("status", status);
    if (statusDescription != null) {
      out.put("status_description", statusDescription);
    }
    out.set("attributes", pairsJson(attributes));
    out.put("service_name", serviceName);
    ArrayNode eventsJson = out.putArray("events");
    for (Event e : events) {
      ObjectNode event = eventsJson.addObject();
      event.put("name", e.name());
      event.put("timestamp_unix_nano", e.timeNanos());
      event.set("attributes", pairsJson(e.attributes()));
    }
    ArrayNode linksJson = out.putArray("links");
    for (Link l : links) {
      ObjectNode link = linksJson.addObject();
      link.put("trace_id", l.traceId());
      link.put("span_id", l.spanId());
      if (l.traceState() == null) {
        link.putNull("trace_state");
      } else {
        link.put("trace_state", l.traceState());
      }
      link.set("attributes", pairsJson(l.attributes()));
    }
    if (scopeName != null && !scopeName.isEmpty()) {
      out.put("instrumentation_scope_name", scopeName);
    }
    if (scopeVersion != null && !scopeVersion.isEmpty()) {
      out.put("instrumentation_scope_version", scopeVersion);
    }
    if (flags != null) {
      out.put("flags", flags);
    }
    if (traceState != null && !traceState.isEmpty()) {
      out.put("trace_state", traceState);
    }
    return out;
  }

  private static ArrayNode pairsJson(List<Map.Entry<String, String>> pairs) {
    ArrayNode out = Json.mapper().createArrayNode();
    for (Map.Entry<String, String> pair : pairs) {
      out.addArray().add(pair.getKey()).add(pair.getValue());
    }
    return out;
  }
}
