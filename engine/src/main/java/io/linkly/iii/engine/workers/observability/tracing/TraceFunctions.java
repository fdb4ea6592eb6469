package io.linkly.iii.engine.workers.observability.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.workers.Input;
import io.linkly.iii.protocol.Json;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code engine::traces::list}, {@code engine::traces::tree} and {@code engine::traces::clear}
 * over the span store (BUILTINS.md §11.2), with upstream's semantics: the list shows trace roots
 * (a span without a parent, or whose parent is not stored), filtered, sorted and paged; the tree
 * nests one trace's spans under their parents. Without a memory store (exporter {@code otlp})
 * they fail with upstream's {@code memory_exporter_not_enabled}.
 */
public final class TraceFunctions {

  private final SpanStore store;

  TraceFunctions(SpanStore store) {
    this.store = store;
  }

  void register(Engine engine, Worker module) {
    engine.registerFunction(
        module,
        FunctionDefinition.of(
            "engine::traces::list",
            "List root spans of stored traces with filtering, pagination and sort; hides engine-internal spans unless include_internal"),
        BuiltinFunction.sync(this::list));
    engine.registerFunction(
        module,
        FunctionDefinition.of("engine::traces::tree", "The nested span tree of one trace, as {roots}"),
        BuiltinFunction.sync(this::tree));
    engine.registerFunction(
        module, FunctionDefinition.of("engine::traces::clear", "Drop every stored span"), BuiltinFunction.sync(this::clear));
  }

  private SpanStore store() {
    if (store == null) {
      throw new InvocationException(
          "memory_exporter_not_enabled", "In-memory span storage is not available. Set exporter: memory or both in config.");
    }
    return store;
  }

  JsonNode list(Call call) {
    SpanStore spans = store();
    Input in = Input.of(call);
    JsonNode raw = in.raw();
    String traceId = in.optionalString("trace_id");
    Set<String> traceIds = strings(raw.get("trace_ids"));
    String service = lower(in.optionalString("service_name"));
    String name = lower(in.optionalString("name"));
    String status = lower(in.optionalString("status"));
    Double minMs = number(raw.get("min_duration_ms"));
    Double maxMs = number(raw.get("max_duration_ms"));
    Long startMs = in.optionalLong("start_time");
    Long endMs = in.optionalLong("end_time");
    boolean includeInternal = in.optionalBool("include_internal", false);
    boolean searchAll = in.optionalBool("search_all_spans", false);
    List<String[]> attributes = pairs(raw.get("attributes"));
    List<String[]> excluded = pairs(raw.get("exclude_attributes"));

    List<StoredSpan> all;
    if (traceId != null) {
      all = spans.trace(traceId);
    } else {
      all = spans.all();
      if (traceIds != null) {
        all.removeIf(s -> !traceIds.contains(s.traceId()));
      }
    }
    Set<String> present = new HashSet<>();
    for (StoredSpan s : all) {
      present.add(s.spanId());
    }
    // with search_all_spans, a trace matches when any of its spans does
    Set<String> nameMatched = null;
    Set<String> attributesMatched = null;
    if (searchAll) {
      if (name != null) {
        nameMatched = new HashSet<>();
        for (StoredSpan s : all) {
          if (s.name().toLowerCase(Locale.ROOT).contains(name)) {
            nameMatched.add(s.traceId());
          }
        }
      }
      if (!attributes.isEmpty()) {
        attributesMatched = new HashSet<>();
        for (StoredSpan s : all) {
          if (hasAll(s, attributes)) {
            attributesMatched.add(s.traceId());
          }
        }
      }
    }
    List<StoredSpan> matching = new ArrayList<>();
    for (StoredSpan s : all) {
      boolean root = s.parentSpanId() == null || !present.contains(s.parentSpanId());
      if (!searchAll && !root) {
        continue;
      }
      if (!includeInternal && s.internal()) {
        continue;
      }
      if (hasAny(s, excluded)) {
        continue;
      }
      if (service != null && !s.serviceName().toLowerCase(Locale.ROOT).contains(service)) {
        continue;
      }
      if (name != null && (nameMatched != null ? !nameMatched.contains(s.traceId()) : !s.name().toLowerCase(Locale.ROOT).contains(name))) {
        continue;
      }
      if (status != null && !s.status().contains(status)) {
        continue;
      }
      double durationMs = s.durationNanos() / 1_000_000.0;
      if ((minMs != null && durationMs < minMs) || (maxMs != null && durationMs > maxMs)) {
        continue;
      }
      // times are unix milliseconds, as upstream's: a span counts when it overlaps the window
      if ((startMs != null && s.endNanos() < startMs * 1_000_000L) || (endMs != null && s.startNanos() > endMs * 1_000_000L)) {
        continue;
      }
      if (!attributes.isEmpty() && (attributesMatched != null ? !attributesMatched.contains(s.traceId()) : !hasAll(s, attributes))) {
        continue;
      }
      matching.add(s);
    }
    Comparator<StoredSpan> order =
        switch (String.valueOf(in.optionalString("sort_by"))) {
          case "duration", "duration_ms" -> Comparator.comparingLong(StoredSpan::durationNanos);
          case "service_name" -> Comparator.comparing(StoredSpan::serviceName);
          case "name" -> Comparator.comparing(StoredSpan::name);
          default -> Comparator.comparingLong(StoredSpan::startNanos);
        };
    String sortOrder = in.optionalString("sort_order");
    if (sortOrder != null && !sortOrder.equalsIgnoreCase("asc")) {
      order = order.reversed();
    }
    matching.sort(order);
    long offset = Math.max(0, orDefault(in.optionalLong("offset"), 0));
    long limit = Math.max(0, orDefault(in.optionalLong("limit"), 100));
    ArrayNode page = Json.mapper().createArrayNode();
    for (long i = offset; i < matching.size() && page.size() < limit; i++) {
      page.add(matching.get((int) i).toJson());
    }
    ObjectNode out = Json.object();
    out.set("spans", page);
    out.put("total", matching.size());
    out.put("offset", offset);
    out.put("limit", limit);
    return out;
  }

  JsonNode tree(Call call) {
    SpanStore spans = store();
    String traceId = Input.of(call).requiredString("trace_id");
    List<StoredSpan> trace = spans.trace(traceId);
    trace.sort(Comparator.comparingLong(StoredSpan::startNanos));
    Set<String> present = new HashSet<>();
    for (StoredSpan s : trace) {
      present.add(s.spanId());
    }
    Map<String, List<StoredSpan>> children = new HashMap<>();
    List<StoredSpan> roots = new ArrayList<>();
    for (StoredSpan s : trace) {
      if (s.parentSpanId() != null && present.contains(s.parentSpanId()) && !s.parentSpanId().equals(s.spanId())) {
        children.computeIfAbsent(s.parentSpanId(), p -> new ArrayList<>()).add(s);
      } else {
        roots.add(s);
      }
    }
    ObjectNode out = Json.object();
    ArrayNode rootsJson = out.putArray("roots");
    Set<String> placed = new HashSet<>();
    for (StoredSpan root : roots) {
      rootsJson.add(node(root, children, placed));
    }
    return out;
  }

  /** A span with its children, depth first; a span already placed (a cycle in bad input) is not placed twice. */
  private static ObjectNode node(StoredSpan span, Map<String, List<StoredSpan>> children, Set<String> placed) {
    ObjectNode node = span.toJson();
    ArrayNode kids = node.putArray("children");
    if (placed.add(span.spanId())) {
      for (StoredSpan child : children.getOrDefault(span.spanId(), List.of())) {
        if (!placed.contains(child.spanId())) {
          kids.add(node(child, children, placed));
        }
      }
    }
    return node;
  }

  JsonNode clear(Call call) {
    store().clear();
    return Json.object().put("success", true);
  }

  private static boolean hasAll(StoredSpan span, List<String[]> pairs) {
    for (String[] pair : pairs) {
      if (!pair[1].equals(span.attribute(pair[0]))) {
        return false;
      }
    }
    return true;
  }

  private static boolean hasAny(StoredSpan span, List<String[]> pairs) {
    for (String[] pair : pairs) {
      if (pair[1].equals(span.attribute(pair[0]))) {
        return true;
      }
    }
    return false;
  }

  private static List<String[]> pairs(JsonNode node) {
    List<String[]> out = new ArrayList<>();
    if (node != null && node.isArray()) {
      for (JsonNode pair : node) {
        if (pair.isArray() && pair.size() == 2) {
          out.add(new String[] {pair.get(0).asText(), pair.get(1).asText()});
        }
      }
    }
    return out;
  }

  private static Set<String> strings(JsonNode node) {
    if (node == null || !node.isArray()) {
      return null;
    }
    Set<String> out = new HashSet<>();
    node.forEach(v -> out.add(v.asText()));
    return out;
  }

  private static Double number(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    try {
      return Double.parseDouble(node.asText().trim());
    } catch (NumberFormatException e) {
      throw new InvocationException("deserialization_error", "must be a number: " + node);
    }
  }

  private static String lower(String s) {
    return s == null ? null : s.toLowerCase(Locale.ROOT);
  }

  private static long orDefault(Long value, long fallback) {
    return value == null ? fallback : value;
  }
}
