package io.linkly.iii.engine.workers.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import io.linkly.iii.engine.core.Telemetry;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.metrics.Histogram;
import io.linkly.iii.engine.metrics.Registration;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.EngineContext;
import io.linkly.iii.engine.workers.Input;
import io.linkly.iii.engine.workers.observability.tracing.TraceParent;
import io.linkly.iii.engine.workers.observability.tracing.Tracing;
import io.linkly.iii.engine.workers.configuration.LiveConfig;
import io.linkly.iii.engine.workers.observability.tracing.TracingSettings;
import io.linkly.iii.protocol.Json;
import io.opentelemetry.api.trace.SpanContext;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code iii-observability} (BUILTINS.md §11), logs and metrics: {@code engine::log::*} and the
 * SDKs' {@code LOGS} frames into a bounded log store ({@code engine::logs::list/clear}, the {@code
 * log} trigger type); {@code MTRC} frames into a bounded metric store and the engine's own counts
 * ({@code engine::metrics::list}); {@code engine::sampling::rules}; {@code engine::health::check}.
 * Its {@code metrics_enabled} also switches the engine's Prometheus endpoint ({@code GET /metrics}).
 */
public final class ObservabilityWorker implements BuiltinWorker {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ObservabilityWorker.class);

  public static final String NAME = "iii-observability";
  private static final String[] LEVELS = {"trace", "debug", "info", "warn", "error"};

  /** The settings this worker started with; of a later change the live tier applies at once. */
  private ObservabilityConfig config;
  /** The settings most recently applied: what engine::sampling::rules reports. */
  private volatile ObservabilityConfig current;
  /** The config.yaml block (null: none), the first boot's seed of the stored configuration. */
  private final JsonNode yamlBlock;
  private volatile boolean consoleOutput;
  private LiveConfig live;
  private final List<Registration> registrations = new ArrayList<>();
  private Tracing tracing;
  private Engine engine;
  private Clock clock;
  private volatile ConsolePrinter console;
  private LogStore logs; // null when logs_enabled is false
  private MetricStore sdkMetrics; // null when metrics_enabled is false
  private LogTriggers triggers;

  ObservabilityWorker(ObservabilityConfig config) {
    this(config, null);
  }

  ObservabilityWorker(ObservabilityConfig config, JsonNode yamlBlock) {
    this.config = config;
    this.current = config;
    this.yamlBlock = yamlBlock;
  }

  public static ObservabilityWorker fromConfig(WorkerEntry entry) throws ConfigException {
    return new ObservabilityWorker(ObservabilityConfig.from(entry), entry.seed());
  }

  /** The settings this worker runs with; tracing reads its own from here. */
  public ObservabilityConfig config() {
    return config;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void start(EngineContext context) {
    engine = context.engine();
    clock = context.clock();
    LiveConfig.Opened<ObservabilityConfig> opened =
        LiveConfig.open(engine, NAME, "Observability", "Traces, logs and metrics: exporters, sampling, retention, alerts",
            ObservabilityConfig.SCHEMA, yamlBlock, config, ObservabilityConfig::from);
    config = opened.settings();
    current = config;
    consoleOutput = config.logsConsoleOutput();
    live = opened.live();
    Worker self = engine.registerBuiltinWorker(NAME);
    if (config.logsEnabled()) {
      logs = new LogStore(config.logsMaxCount(), config.logsRetentionSeconds(), config.logsSamplingRatio(), clock);
      if (config.logsConsoleOutput()) {
        console = new ConsolePrinter();
      }
    }
    if (config.metricsEnabled()) {
      sdkMetrics = new MetricStore(config.metricsMaxCount(), config.metricsRetentionSeconds(), clock);
    }
    engine.metrics().enabled(config.metricsEnabled());
    triggers = new LogTriggers(engine, context.blocking());
    for (String level : LEVELS) {
      engine.registerFunction(
          self,
          FunctionDefinition.of("engine::log::" + level, "Record a log line at " + level + " level"),
          // only memory is touched here: the console is written by the printer's own thread
          BuiltinFunction.sync(call -> log(level, call)));
    }
    engine.registerFunction(
        self, FunctionDefinition.of("engine::logs::list", "List stored logs, newest first"), BuiltinFunction.sync(this::listLogs));
    engine.registerFunction(
        self, FunctionDefinition.of("engine::logs::clear", "Delete stored logs"), BuiltinFunction.sync(this::clearLogs));
    engine.registerFunction(
        self,
        FunctionDefinition.of("engine::metrics::list", "Engine invocation and worker counts, latency, and stored SDK metrics"),
        BuiltinFunction.sync(this::listMetrics));
    engine.registerFunction(
        self,
        FunctionDefinition.of("engine::sampling::rules", "The trace and log sampling settings in force"),
        BuiltinFunction.sync(this::samplingRules));
    engine.registerFunction(
        self,
        FunctionDefinition.of("engine::health::check", "Engine health"),
        BuiltinFunction.blocking(context.blocking(), this::health)); // a database check may wait for its ping
    engine.registerTriggerType(self, LogTriggers.TYPE, "Stored logs, by level", triggers);
    // upstream ingests nothing from the SDKs while observability is disabled
    if (config.enabled() && logs != null) {
      engine.telemetry().handle(Telemetry.Signal.LOGS, this::ingestLogs);
    }
    if (config.enabled() && sdkMetrics != null) {
      engine.telemetry().handle(Telemetry.Signal.METRICS, this::ingestMetrics);
    }
    registerMetrics();
    tracing = Tracing.start(TracingSettings.from(config), engine, self, System.getenv());
    live.watch(self, context.blocking(), this::apply);
  }

  /**
   * A change of the stored configuration (BUILTINS.md §11.1). Live: {@code logs_console_output},
   * {@code logs_sampling_ratio}, {@code sampling_ratio} and {@code sampling}. Every other key
   * takes effect at the next start (logged once per key).
   */
  private void apply(ObservabilityConfig next) {
    consoleOutput = next.logsConsoleOutput();
    if (consoleOutput && console == null && logs != null) {
      console = new ConsolePrinter();
    }
    if (logs != null) {
      logs.samplingRatio(next.logsSamplingRatio());
    }
    tracing.resample(TracingSettings.from(next));
    current = next;
    live.needsRestart("enabled", config.enabled(), next.enabled());
    live.needsRestart("exporter", config.exporter(), next.exporter());
    live.needsRestart("endpoint", config.endpoint(), next.endpoint());
    live.needsRestart("service_name", config.serviceName(), next.serviceName());
    live.needsRestart("logs_enabled", config.logsEnabled(), next.logsEnabled());
    live.needsRestart("logs_max_count", config.logsMaxCount(), next.logsMaxCount());
    live.needsRestart("metrics_enabled", config.metricsEnabled(), next.metricsEnabled());
    live.needsRestart("alerts", config.alerts(), next.alerts());
    log.info("iii-observability: configuration applied (logs_console_output: {}, logs_sampling_ratio: {}, sampling_ratio: {})",
        next.logsConsoleOutput(), next.logsSamplingRatio(), next.samplingRatio());
  }

  private void registerMetrics() {
    var metrics = engine.metrics();
    registrations.add(
        metrics.counter("iii_trigger_deliveries_dropped_total", "Trigger deliveries dropped because too many were in flight",
            Map.of("trigger_type", LogTriggers.TYPE), triggers::dropped));
    if (logs != null) {
      LogStore store = logs;
      registrations.add(metrics.gauge("iii_logs_stored", "Logs held for engine::logs::list", store::size));
      registrations.add(
          metrics.counter("iii_logs_sampled_out_total", "Logs not stored because of logs_sampling_ratio", store::sampledOut));
      registrations.add(
          metrics.counter("iii_logs_evicted_total", "Stored logs dropped for age or for logs_max_count", store::evicted));
    }
    if (console != null) {
      ConsolePrinter printer = console;
      registrations.add(
          metrics.counter("iii_log_lines_not_printed_total", "Log lines the console could not keep up with", printer::dropped));
    }
    if (sdkMetrics != null) {
      MetricStore store = sdkMetrics;
      registrations.add(metrics.gauge("iii_sdk_metrics_stored", "SDK metrics held for engine::metrics::list", store::size));
    }
  }

  // ------------------------------------------------------------------ logs

  private JsonNode log(String level, Call call) {
    Input in = Input.of(call);
    String message = in.requiredString("message");
    JsonNode data = in.optionalTree("data");
    String service = in.optionalString("service_name");
    String traceId = in.optionalString("trace_id");
    String spanId = in.optionalString("span_id");
    if (logs == null) {
      return null; // logs_enabled: false
    }
    int severity = severityNumber(level);
    if (!logs.sampled(severity)) {
      return null;
    }
    SpanContext context = TraceParent.parse(call.traceparent());
    if (context != null) {
      traceId = traceId != null ? traceId : context.getTraceId();
      spanId = spanId != null ? spanId : context.getSpanId();
    }
    String worker = workerName(call);
    long now = nowNanos();
    ObjectNode entry = Json.object();
    entry.put("timestamp_unix_nano", now);
    entry.put("observed_timestamp_unix_nano", now);
    entry.put("severity_number", severity);
    entry.put("severity_text", level.toUpperCase(Locale.ROOT));
    entry.put("body", message);
    ObjectNode attributes = entry.putObject("attributes");
    if (data != null) {
      attributes.set("log.data", data); // where the SDKs' loggers put a line's data
    }
    if (worker != null) {
      attributes.put("iii.worker.name", worker);
    }
    String functionId = Baggage.entry(call.baggage(), "iii.function.id");
    if (functionId != null) {
      attributes.put("iii.function.id", functionId);
    }
    putOrNull(entry, "trace_id", traceId);
    putOrNull(entry, "span_id", spanId);
    entry.set("resource", engineResource());
    entry.put("service_name", service != null ? service : worker != null ? worker : "engine");
    entry.put("instrumentation_scope_name", "iii");
    entry.put("instrumentation_scope_version", EngineVersion.VERSION);
    store(entry);
    return null;
  }

  /** A batch of SDK logs ({@code LOGS} frame); runs on the socket's event loop. */
  private void ingestLogs(JsonNode request) {
    for (ObjectNode entry : OtlpRequests.logs(request, nowNanos())) {
      if (logs.sampled(entry.path("severity_number").asInt())) {
        store(entry);
      }
    }
  }

  private void store(ObjectNode entry) {
    logs.add(entry);
    ConsolePrinter printer = console;
    if (consoleOutput && printer != null) {
      String data = entry.path("attributes").isEmpty() ? null : Json.write(entry.get("attributes"));
      String body = entry.path("body").asText("");
      // a worker's words: escaped, so that a line break in them cannot forge a log line
      printer.print(
          new ConsolePrinter.Line(
              consoleLevel(entry.path("severity_number").asInt()),
              LogSafe.escape(entry.path("service_name").asText("")),
              LogSafe.line(data == null ? body : body + " " + data)));
    }
    triggers.fire(entry);
  }

  private JsonNode listLogs(Call call) {
    Input in = Input.of(call);
    Long start = in.optionalLong("start_time");
    Long end = in.optionalLong("end_time");
    String traceId = in.optionalString("trace_id");
    String spanId = in.optionalString("span_id");
    Long severityMin = in.optionalLong("severity_min");
    String severityText = in.optionalString("severity_text");
    Long offset = in.optionalLong("offset");
    Long limit = in.optionalLong("limit");
    String serviceName = in.optionalString("service_name");
    String worker = in.optionalString("worker");
    String functionId = in.optionalString("function_id");
    String search = in.optionalString("search");
    ObjectNode out = Json.object();
    if (logs == null) {
      out.set("logs", Json.mapper().createArrayNode());
      out.put("total", 0);
      out.putNull("query");
      out.put("timestamp", clock.millis());
      return out;
    }
    LogStore.Query query =
        new LogStore.Query(
            start, end, traceId, spanId,
            severityMin == null ? null : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, severityMin)),
            severityText, serviceName, worker, functionId, search == null || search.isEmpty() ? null : search);
    LogStore.Page page = logs.list(query, offset == null ? 0 : offset, limit);
    ArrayNode list = out.putArray("logs");
    page.logs().forEach(list::add);
    out.put("total", page.total());
    ObjectNode echo = out.putObject("query");
    putOrNull(echo, "trace_id", traceId);
    putOrNull(echo, "span_id", spanId);
    putOrNull(echo, "severity_min", severityMin);
    putOrNull(echo, "severity_text", severityText);
    putOrNull(echo, "start_time", start);
    putOrNull(echo, "end_time", end);
    putOrNull(echo, "offset", offset);
    putOrNull(echo, "limit", limit);
    // ours, echoed only when given
    putIfPresent(echo, "service_name", serviceName);
    putIfPresent(echo, "worker", worker);
    putIfPresent(echo, "function_id", functionId);
    putIfPresent(echo, "search", search);
    out.put("timestamp", clock.millis());
    return out;
  }

  private JsonNode clearLogs(Call call) {
    ObjectNode out = Json.object().put("success", true);
    if (logs == null) {
      out.put("message", "No log storage initialized");
    } else {
      logs.clear();
    }
    return out;
  }

  // ------------------------------------------------------------------ metrics

  /** A batch of SDK metrics ({@code MTRC} frame); runs on the socket's event loop. */
  private void ingestMetrics(JsonNode request) {
    List<ObjectNode> metrics = OtlpRequests.metrics(request, sdkMetrics.nowNanos());
    if (!metrics.isEmpty()) {
      sdkMetrics.addAll(metrics);
    }
  }

  private JsonNode listMetrics(Call call) {
    Input in = Input.of(call);
    Long start = in.optionalLong("start_time");
    Long end = in.optionalLong("end_time");
    String name = in.optionalString("metric_name");
    Long interval = in.optionalLong("aggregate_interval");
    InvocationCounters counters = engine.router().invocationCounters();
    InvocationCounters.Snapshot totals = counters.snapshot();
    ObjectNode out = Json.object();
    ObjectNode engineMetrics = out.putObject("engine_metrics");
    ObjectNode invocations = engineMetrics.putObject("invocations");
    invocations.put("total", totals.started());
    invocations.put("success", totals.succeeded());
    invocations.put("error", totals.failed() + totals.refused());
    invocations.put("deferred", totals.deferred());
    ObjectNode byFunction = invocations.putObject("by_function");
    for (InvocationCounters.FunctionSnapshot f : counters.byFunction()) {
      byFunction.put(f.functionId(), f.total());
    }
    invocations.put("cancelled", totals.cancelled()); // beyond upstream
    invocations.put("timed_out", totals.timedOut());
    ObjectNode workers = engineMetrics.putObject("workers");
    long spawns = engine.workersConnected();
    long deaths = engine.workersDisconnected();
    workers.put("spawns", spawns);
    workers.put("deaths", deaths);
    workers.put("active", Math.max(0, spawns - deaths));
    // upstream derives these from stored spans; here from the router's per-call histograms
    InvocationCounters.Latency latency = counters.latency();
    Histogram.Snapshot histogram = latency.histogram();
    ObjectNode performance = engineMetrics.putObject("performance");
    long count = histogram.count();
    performance.put("avg_duration_ms", count == 0 ? 0.0 : histogram.sumSeconds() * 1000 / count);
    performance.put("p50_duration_ms", histogram.quantile(0.50) * 1000);
    performance.put("p95_duration_ms", histogram.quantile(0.95) * 1000);
    performance.put("p99_duration_ms", histogram.quantile(0.99) * 1000);
    performance.put("min_duration_ms", latency.minNanos() / 1e6);
    performance.put("max_duration_ms", latency.maxNanos() / 1e6);
    ArrayNode sdk = out.putArray("sdk_metrics");
    if (sdkMetrics != null) {
      sdkMetrics.list(name, start, end).forEach(sdk::add);
    }
    out.put("timestamp", clock.millis());
    if (start != null || end != null || interval != null) {
      ObjectNode query = out.putObject("query");
      putOrNull(query, "start_time", start);
      putOrNull(query, "end_time", end);
      putOrNull(query, "aggregate_interval", interval);
      putOrNull(query, "metric_name", name);
    }
    return out;
  }

  private JsonNode samplingRules(Call call) {
    ObjectNode out = Json.object();
    ObjectNode traces = out.putObject("traces");
    ObservabilityConfig config = current;
    ObservabilityConfig.Sampling sampling = config.sampling();
    traces.put("default_ratio", sampling.defaultRatio() != null ? sampling.defaultRatio() : config.samplingRatio());
    ArrayNode rules = traces.putArray("rules");
    for (ObservabilityConfig.SamplingRule rule : sampling.rules()) {
      ObjectNode r = rules.addObject();
      putOrNull(r, "operation", rule.operation());
      putOrNull(r, "service", rule.service());
      r.put("rate", rule.rate());
    }
    traces.put("parent_based", sampling.parentBased() != null && sampling.parentBased());
    out.putObject("logs").put("sampling_ratio", config.logsSamplingRatio());
    out.put("timestamp", clock.millis());
    return out;
  }

  // ------------------------------------------------------------------ health

  /**
   * Upstream's four telemetry components ({@code {status, details}}), then (beyond upstream) every
   * store, database and listener that registered a check, as {@code {status: ok|degraded|failing,
   * reason?}}. The overall status is the worst of them: {@code healthy}, {@code degraded} or
   * {@code failing}.
   */
  private JsonNode health(Call call) {
    ObjectNode out = Json.object();
    out.put("status", "healthy"); // first, as upstream orders it; replaced below by the worst component's
    ObjectNode components = out.putObject("components");
    if (config.enabled()) {
      ObjectNode otel = component(components, "otel", "healthy");
      otel.put("enabled", true).put("service_name", config.serviceName()).put("exporter", exporterName(config.exporter()));
    } else {
      component(components, "otel", "disabled");
    }
    if (sdkMetrics != null) {
      component(components, "metrics", "healthy").put("stored_metrics", sdkMetrics.size());
    } else {
      component(components, "metrics", "disabled");
    }
    if (logs != null) {
      component(components, "logs", "healthy").put("stored_logs", logs.size());
    } else {
      component(components, "logs", "disabled");
    }
    if (tracing != null && tracing.enabled()) {
      component(components, "spans", "healthy").put("stored_spans", tracing.storedSpans());
    } else {
      component(components, "spans", "disabled");
    }
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

  /** Adds {@code {status, details}} and returns the details ({@code null} details when disabled). */
  private static ObjectNode component(ObjectNode components, String name, String status) {
    ObjectNode component = components.putObject(name);
    component.put("status", status);
    if (status.equals("disabled")) {
      component.putNull("details");
      return Json.object(); // written nowhere
    }
    return component.putObject("details");
  }

  private static String exporterName(ObservabilityConfig.Exporter exporter) {
    return switch (exporter) {
      case MEMORY -> "Memory";
      case OTLP -> "Otlp";
      case BOTH -> "Both";
    };
  }

  // ------------------------------------------------------------------ helpers

  private ObjectNode engineResource() {
    ObjectNode resource = Json.object();
    resource.put("service.name", config.serviceName());
    resource.put("service.version", config.serviceVersion());
    if (config.serviceNamespace() != null) {
      resource.put("service.namespace", config.serviceNamespace());
    }
    return resource;
  }

  private long nowNanos() {
    Instant now = clock.instant();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private String workerName(Call call) {
    if (call.callerWorkerId() == null) {
      return null;
    }
    return engine.worker(call.callerWorkerId()).map(Worker::displayName).orElse(call.callerWorkerId());
  }

  private static int severityNumber(String level) {
    return switch (level) {
      case "trace" -> 1;
      case "debug" -> 5;
      case "warn" -> 13;
      case "error" -> LogStore.ERROR_SEVERITY;
      default -> 9;
    };
  }

  private static String consoleLevel(int severity) {
    if (severity >= 17) {
      return "error";
    }
    if (severity >= 13) {
      return "warn";
    }
    if (severity >= 9 || severity == 0) {
      return "info";
    }
    return severity >= 5 ? "debug" : "trace";
  }

  private static void putOrNull(ObjectNode node, String field, Object value) {
    if (value == null) {
      node.putNull(field);
    } else if (value instanceof Long l) {
      node.put(field, l);
    } else {
      node.put(field, value.toString());
    }
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
    if (engine != null) {
      engine.telemetry().handle(Telemetry.Signal.LOGS, null);
      engine.telemetry().handle(Telemetry.Signal.METRICS, null);
    }
    registrations.forEach(Registration::close);
    registrations.clear();
    if (console != null) {
      console.close();
    }
  }
}
