package io.linkly.iii.engine.workers.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.EngineVersion;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.core.HealthCheck;
import io.linkly.iii.engine.core.InvocationCounters;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.EngineContext;
import io.linkly.iii.engine.workers.Input;
import io.linkly.iii.engine.workers.observability.tracing.Tracing;
import io.linkly.iii.engine.workers.observability.tracing.TracingSettings;
import io.linkly.iii.protocol.Json;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code iii-observability}, the part workers rely on today: {@code engine::log::*} (printed and
 * kept in a bounded in-memory store), {@code engine::logs::list/clear} and
 * {@code engine::health::check} (BUILTINS.md §11). Spans and metrics are not stored yet.
 */
public final class ObservabilityWorker implements BuiltinWorker {

  public static final String NAME = "iii-observability";
  private static final String[] LEVELS = {"trace", "debug", "info", "warn", "error"};

  private final int maxLogs;
  private final boolean consoleOutput;
  private final TracingSettings tracingSettings;
  private Tracing tracing;
  private final ReentrantLock lock = new ReentrantLock();
  private final Deque<ObjectNode> logs = new ArrayDeque<>();
  private Engine engine;
  private Clock clock;
  private ConsolePrinter console;

  ObservabilityWorker(int maxLogs, boolean consoleOutput, TracingSettings tracingSettings) {
    this.maxLogs = maxLogs;
    this.consoleOutput = consoleOutput;
    this.tracingSettings = tracingSettings;
  }

  public static ObservabilityWorker fromConfig(WorkerEntry entry) throws ConfigException {
    ConfigBlock config =
        ConfigBlock.of(entry)
            .onlyKeys(
                Set.of(
                    "enabled", "service_name", "service_version", "exporter", "memory_max_spans",
                    "metrics_enabled", "metrics_exporter", "logs_enabled", "logs_exporter",
                    "logs_max_count", "logs_console_output", "level", "format", "endpoint", "sampling_ratio"));
    return new ObservabilityWorker(
        (int) config.positive("logs_max_count", 1000), config.bool("logs_console_output", true), TracingSettings.from(config));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void start(EngineContext context) {
    engine = context.engine();
    clock = context.clock();
    Worker self = engine.registerBuiltinWorker(NAME);
    if (consoleOutput) {
      console = new ConsolePrinter();
    }
    for (String level : LEVELS) {
      engine.registerFunction(
          self,
          FunctionDefinition.of("engine::log::" + level, "Record a log line at " + level + " level"),
          // only memory is touched here: the console is written by the printer's own thread
          BuiltinFunction.sync(call -> log(level, call)));
    }
    engine.registerFunction(
        self, FunctionDefinition.of("engine::logs::list", "List stored log lines"), BuiltinFunction.sync(this::list));
    engine.registerFunction(
        self, FunctionDefinition.of("engine::logs::clear", "Delete stored log lines"), BuiltinFunction.sync(this::clear));
    engine.registerFunction(
        self,
        FunctionDefinition.of("engine::health::check", "Engine health"),
        BuiltinFunction.blocking(context.blocking(), this::health)); // a database check may wait for its ping
    tracing = Tracing.start(tracingSettings, engine, self, System.getenv());
  }

  private JsonNode log(String level, Call call) {
    Input in = Input.of(call);
    String message = in.requiredString("message");
    JsonNode data = in.optionalTree("data");
    String service = in.optionalString("service_name");
    long nowNanos = clock.millis() * 1_000_000L;
    ObjectNode entry = Json.object();
    entry.put("timestamp_unix_nano", nowNanos);
    entry.put("observed_timestamp_unix_nano", nowNanos);
    entry.put("severity_number", severityNumber(level));
    entry.put("severity_text", level.toUpperCase(Locale.ROOT));
    entry.put("body", message);
    ObjectNode attributes = entry.putObject("attributes");
    if (data != null) {
      attributes.set("log.data", data);
    }
    putIfPresent(entry, "trace_id", in.optionalString("trace_id"));
    putIfPresent(entry, "span_id", in.optionalString("span_id"));
    entry.putObject("resource");
    entry.put("service_name", service == null ? workerName(call) : service);
    lock.lock();
    try {
      logs.addLast(entry);
      while (logs.size() > maxLogs) {
        logs.removeFirst();
      }
    } finally {
      lock.unlock();
    }
    if (console != null) {
      // a worker's words: escaped, so that a line break in them cannot forge a log line
      console.print(
          new ConsolePrinter.Line(
              level,
              LogSafe.escape(entry.get("service_name").asText()),
              LogSafe.line(data == null ? message : message + " " + Json.write(data))));
    }
    return null;
  }

  private String workerName(Call call) {
    return call.callerWorkerId() == null
        ? "engine"
        : engine.worker(call.callerWorkerId()).map(Worker::displayName).orElse(call.callerWorkerId());
  }

  private static int severityNumber(String level) {
    return switch (level) {
      case "trace" -> 1;
      case "debug" -> 5;
      case "warn" -> 13;
      case "error" -> 17;
      default -> 9;
    };
  }

  private JsonNode list(Call call) {
    Input in = Input.of(call);
    Long start = in.optionalLong("start_time");
    Long end = in.optionalLong("end_time");
    String traceId = in.optionalString("trace_id");
    Long severityMin = in.optionalLong("severity_min");
    String severityText = in.optionalString("severity_text");
    long offset = orZero(in.optionalLong("offset"));
    Long limit = in.optionalLong("limit");
    ArrayNode matching = Json.mapper().createArrayNode();
    lock.lock();
    try {
      for (ObjectNode entry : logs) {
        long ts = entry.get("timestamp_unix_nano").asLong();
        if ((start != null && ts < start) || (end != null && ts > end)) {
          continue;
        }
        if (traceId != null && !traceId.equals(entry.path("trace_id").asText(null))) {
          continue;
        }
        if (severityMin != null && entry.get("severity_number").asInt() < severityMin) {
          continue;
        }
        if (severityText != null && !severityText.equalsIgnoreCase(entry.get("severity_text").asText())) {
          continue;
        }
        matching.add(entry.deepCopy());
      }
    } finally {
      lock.unlock();
    }
    ArrayNode page = Json.mapper().createArrayNode();
    for (int i = (int) Math.min(offset, matching.size()); i < matching.size(); i++) {
      if (limit != null && page.size() >= limit) {
        break;
      }
      page.add(matching.get(i));
    }
    ObjectNode out = Json.object();
    out.set("logs", page);
    out.put("total", matching.size());
    out.put("timestamp", clock.millis());
    return out;
  }

  private JsonNode clear(Call call) {
    lock.lock();
    try {
      logs.clear();
    } finally {
      lock.unlock();
    }
    return Json.object().put("success", true);
  }

  /**
   * Upstream's four telemetry components, then (beyond upstream) every store, database and
   * listener that registered a check, as {@code {status: ok|degraded|failing, reason?}}. The
   * overall status is the worst of them: {@code healthy}, {@code degraded} or {@code failing}.
   */
  private JsonNode health(Call call) {
    ObjectNode out = Json.object();
    out.put("status", "healthy"); // first, as upstream orders it; replaced below by the worst component's
    ObjectNode components = out.putObject("components");
    components.put("otel", "disabled");
    components.put("metrics", "disabled");
    components.put("logs", "healthy");
    Health overall = Health.ok();
    for (Map.Entry<String, HealthCheck> check : new TreeMap<>(engine.healthChecks()).entrySet()) {
      Health health;
      try {
        health = check.getValue().check();
      } catch (RuntimeException e) {
        health = Health.failing("its health check failed: " + e);
      }
      overall = overall.worst(health);
      ObjectNode component = components.putObject(check.getKey());
      component.put("status", health.status().name().toLowerCase(Locale.ROOT));
      if (health.reason() != null) {
        component.put("reason", health.reason());
      }
    }
    out.put("status", switch (overall.status()) {
      case OK -> "healthy";
      case DEGRADED -> "degraded";
      case FAILING -> "failing";
    });
    if (console != null) {
      out.put("log_lines_not_printed", console.dropped()); // beyond upstream
    }
    components.put("spans", "disabled");
    // beyond upstream: the router's load and totals, so a stuck worker shows up here
    InvocationCounters.Snapshot counts = engine.router().counters();
    ObjectNode invocations = out.putObject("invocations");
    invocations.put("pending", engine.pendingInvocations());
    invocations.put("started", counts.started());
    invocations.put("succeeded", counts.succeeded());
    invocations.put("failed", counts.failed());
    invocations.put("timed_out", counts.timedOut());
    invocations.put("cancelled", counts.cancelled());
    invocations.put("refused", counts.refused());
    out.put("timestamp", clock.millis());
    out.put("version", EngineVersion.VERSION);
    return out;
  }

  private static long orZero(Long value) {
    return value == null ? 0 : value;
  }

  private static void putIfPresent(ObjectNode node, String field, String value) {
    if (value != null) {
      node.put(field, value);
    }
  }

  @Override
  public void close() {
    if (tracing != null) {
      tracing.close();
    }
    if (console != null) {
      console.close();
    }
  }
}
