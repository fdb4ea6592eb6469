package io.linkly.iii.engine.workers.observability;

import static io.linkly.iii.engine.workers.observability.OtlpJson.field;
import static io.linkly.iii.engine.workers.observability.OtlpJson.items;
import static io.linkly.iii.engine.workers.observability.OtlpJson.text;
import static io.linkly.iii.engine.workers.observability.OtlpJson.unsigned;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * OTLP JSON requests from the SDKs turned into what the engine stores, in upstream's shapes
 * (BUILTINS.md §11.2): an ExportLogsServiceRequest into stored logs, an ExportMetricsServiceRequest
 * into stored metrics. Parts that are malformed are skipped, never the whole request.
 */
final class OtlpRequests {

  private static final String ZERO_TRACE = "00000000000000000000000000000000";
  private static final String ZERO_SPAN = "0000000000000000";

  private OtlpRequests() {}

  /** Every log record of the request; {@code nowNanos} stands in for a missing observed time. */
  static List<ObjectNode> logs(JsonNode request, long nowNanos) {
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode resourceLogs : items(request, "resourceLogs", "resource_logs")) {
      JsonNode resource = field(resourceLogs, "resource", "resource");
      ObjectNode resourceAttributes = OtlpJson.resource(resource);
      String service = resourceAttributes.path("service.name").asText("unknown");
      for (JsonNode scopeLogs : items(resourceLogs, "scopeLogs", "scope_logs")) {
        JsonNode scope = field(scopeLogs, "scope", "scope");
        String scopeName = text(scope, "name", "name");
        String scopeVersion = text(scope, "version", "version");
        for (JsonNode record : items(scopeLogs, "logRecords", "log_records")) {
          if (!record.isObject()) {
            continue;
          }
          ObjectNode attributes = OtlpJson.attributes(field(record, "attributes", "attributes"));
          long observed = unsigned(record, "observedTimeUnixNano", "observed_time_unix_nano");
          int severity = severityNumber(field(record, "severityNumber", "severity_number"));
          String severityText = text(record, "severityText", "severity_text");
          ObjectNode log = Json.object();
          log.put("timestamp_unix_nano", unsigned(record, "timeUnixNano", "time_unix_nano"));
          log.put("observed_timestamp_unix_nano", observed == 0 ? nowNanos : observed);
          log.put("severity_number", severity);
          // the Node SDK sends no severity text: named from the number, so filters and triggers work
          log.put("severity_text", severityText != null ? severityText : severityName(severity));
          log.put("body", OtlpJson.string(field(record, "body", "body")));
          log.set("attributes", attributes);
          putId(log, "trace_id", id(text(record, "traceId", "trace_id"), attributes.path("trace_id").textValue(), ZERO_TRACE));
          putId(log, "span_id", id(text(record, "spanId", "span_id"), attributes.path("span_id").textValue(), ZERO_SPAN));
          log.set("resource", resourceAttributes.deepCopy());
          log.put("service_name", service);
          if (scopeName != null) {
            log.put("instrumentation_scope_name", scopeName);
          }
          if (scopeVersion != null) {
            log.put("instrumentation_scope_version", scopeVersion);
          }
          out.add(log);
        }
      }
    }
    return out;
  }

  /** Every gauge, sum and histogram of the request (other kinds are skipped, as upstream does). */
  static List<ObjectNode> metrics(JsonNode request, long nowNanos) {
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode resourceMetrics : items(request, "resourceMetrics", "resource_metrics")) {
      String service = OtlpJson.resource(field(resourceMetrics, "resource", "resource")).path("service.name").asText("unknown");
      for (JsonNode scopeMetrics : items(resourceMetrics, "scopeMetrics", "scope_metrics")) {
        JsonNode scope = field(scopeMetrics, "scope", "scope");
        String scopeName = text(scope, "name", "name");
        String scopeVersion = text(scope, "version", "version");
        for (JsonNode metric : items(scopeMetrics, "metrics", "metrics")) {
          String type;
          ArrayNode points = Json.mapper().createArrayNode();
          JsonNode gauge = field(metric, "gauge", "gauge");
          JsonNode sum = field(metric, "sum", "sum");
          JsonNode histogram = field(metric, "histogram", "histogram");
          if (gauge.isObject()) {
            type = "gauge";
            numberPoints(gauge, points);
          } else if (sum.isObject()) {
            type = field(sum, "isMonotonic", "is_monotonic").asBoolean(false) ? "counter" : "updowncounter";
            numberPoints(sum, points);
          } else if (histogram.isObject()) {
            type = "histogram";
            histogramPoints(histogram, points);
          } else {
            continue;
          }
          ObjectNode stored = Json.object();
          stored.put("name", metric.path("name").asText(""));
          stored.put("description", metric.path("description").asText(""));
          stored.put("unit", metric.path("unit").asText(""));
          stored.put("metric_type", type);
          stored.set("data_points", points);
          stored.put("service_name", service);
          stored.put("timestamp_unix_nano", nowNanos);
          if (scopeName != null) {
            stored.put("instrumentation_scope_name", scopeName);
          }
          if (scopeVersion != null) {
            stored.put("instrumentation_scope_version", scopeVersion);
          }
          out.add(stored);
        }
      }
    }
    return out;
  }

  private static void numberPoints(JsonNode data, ArrayNode into) {
    for (JsonNode point : items(data, "dataPoints", "data_points")) {
      ObjectNode p = into.addObject();
      p.put("value", OtlpJson.pointValue(point));
      p.set("attributes", OtlpJson.pairs(field(point, "attributes", "attributes")));
      p.put("timestamp_unix_nano", unsigned(point, "timeUnixNano", "time_unix_nano"));
    }
  }

  private static void histogramPoints(JsonNode data, ArrayNode into) {
    for (JsonNode point : items(data, "dataPoints", "data_points")) {
      ObjectNode p = into.addObject();
      p.put("count", unsigned(point, "count", "count"));
      JsonNode sum = field(point, "sum", "sum");
      p.put("sum", sum.isNumber() ? sum.doubleValue() : 0.0);
      ArrayNode counts = p.putArray("bucket_counts");
      for (JsonNode c : items(point, "bucketCounts", "bucket_counts")) {
        counts.add(c.isNumber() ? c.longValue() : parseLong(c.asText()));
      }
      ArrayNode bounds = p.putArray("explicit_bounds");
      for (JsonNode b : items(point, "explicitBounds", "explicit_bounds")) {
        bounds.add(b.asDouble());
      }
      JsonNode min = field(point, "min", "min");
      JsonNode max = field(point, "max", "max");
      if (min.isNumber()) {
        p.put("min", min.doubleValue());
      } else {
        p.putNull("min");
      }
      if (max.isNumber()) {
        p.put("max", max.doubleValue());
      } else {
        p.putNull("max");
      }
      p.set("attributes", OtlpJson.pairs(field(point, "attributes", "attributes")));
      p.put("timestamp_unix_nano", unsigned(point, "timeUnixNano", "time_unix_nano"));
    }
  }

  /** A severity number, given as a number or (protobuf JSON enum names) as {@code SEVERITY_NUMBER_WARN2}. */
  static int severityNumber(JsonNode value) {
    if (value.isIntegralNumber()) {
      return value.intValue();
    }
    if (!value.isTextual()) {
      return 0;
    }
    String name = value.textValue().toUpperCase(Locale.ROOT).replace("SEVERITY_NUMBER_", "");
    int step = 0;
    if (!name.isEmpty() && Character.isDigit(name.charAt(name.length() - 1))) {
      step = name.charAt(name.length() - 1) - '1';
      name = name.substring(0, name.length() - 1);
    }
    int base = switch (name) {
      case "TRACE" -> 1;
      case "DEBUG" -> 5;
      case "INFO" -> 9;
      case "WARN" -> 13;
      case "ERROR" -> 17;
      case "FATAL" -> 21;
      default -> 0;
    };
    return base == 0 || step < 0 || step > 3 ? 0 : base + step;
  }

  /** The OpenTelemetry short name of a severity number's range; empty for 0 (unspecified). */
  static String severityName(int number) {
    if (number >= 21) {
      return "FATAL";
    }
    if (number >= 17) {
      return "ERROR";
    }
    if (number >= 13) {
      return "WARN";
    }
    if (number >= 9) {
      return "INFO";
    }
    if (number >= 5) {
      return "DEBUG";
    }
    return number >= 1 ? "TRACE" : "";
  }

  private static String id(String field, String attribute, String zero) {
    String id = field != null ? field : attribute;
    return id == null || id.isEmpty() || id.equals(zero) ? null : id;
  }

  private static void putId(ObjectNode log, String name, String id) {
    if (id == null) {
      log.putNull(name);
    } else {
      log.put(name, id);
    }
  }

  private static long parseLong(String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
