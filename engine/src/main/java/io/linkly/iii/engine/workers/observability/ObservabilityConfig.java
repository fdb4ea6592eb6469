package io.linkly.iii.engine.workers.observability;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.EngineVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * The {@code iii-observability} block (BUILTINS.md §11.1), every upstream key, with upstream's
 * defaults and clamping: ratios are clamped to 0..1, a count or period of zero means its default,
 * and anything of the wrong type or an unknown key is refused with the key named.
 *
 * <p>Upstream has two sets of defaults, and so do we. With no block at all (the worker is added
 * because it is mandatory) the seed applies: tracing on, {@code exporter: memory}, 1,000,000 spans,
 * metrics on, console output on. A written block that leaves a key out gets upstream's runtime
 * fallback for it instead, as its README documents: tracing off, {@code exporter: otlp}, 1,000
 * spans, metrics off, service version {@code unknown}. Logs default to on either way.
 *
 * <p>Tracing reads its settings from here too: {@link #enabled()}, {@link #serviceName()},
 * {@link #serviceVersion()}, {@link #samplingRatio()}, {@link #exporter()}, {@link #endpoint()},
 * {@link #memoryMaxSpans()}, {@link #sampling()}, {@link #liveSpans()}, {@link #collapseSpans()}.
 */
public final class ObservabilityConfig {

  /** Where spans and logs go: kept in memory (queryable), exported over OTLP, or both. */
  public enum Exporter {
    MEMORY,
    OTLP,
    BOTH;

    public boolean keepsInMemory() {
      return this != OTLP;
    }

    public boolean exportsOtlp() {
      return this != MEMORY;
    }
  }

  /** {@code sampling}: {@code defaultRatio} and {@code parentBased} are null when not set. */
  public record Sampling(Double defaultRatio, Boolean parentBased, List<SamplingRule> rules, Integer maxTracesPerSecond) {
    public static final Sampling NONE = new Sampling(null, null, List.of(), null);
  }

  /** One sampling rule: spans of {@code operation} (wildcards such as {@code api.*}) and/or {@code service}. */
  public record SamplingRule(String operation, String service, double rate) {}

  /** {@code >}, {@code >=} … or their canonical names ({@code greaterthan} …). */
  public enum AlertOperator {
    GREATER_THAN(">", "greaterthan"),
    GREATER_THAN_OR_EQUAL(">=", "greaterthanorequal"),
    LESS_THAN("<", "lessthan"),
    LESS_THAN_OR_EQUAL("<=", "lessthanorequal"),
    EQUAL("==", "equal"),
    NOT_EQUAL("!=", "notequal");

    private final String symbol;
    private final String canonical;

    AlertOperator(String symbol, String canonical) {
      this.symbol = symbol;
      this.canonical = canonical;
    }

    public String canonical() {
      return canonical;
    }

    static AlertOperator parse(String text) {
      for (AlertOperator op : values()) {
        if (op.symbol.equals(text) || op.canonical.equals(text)) {
          return op;
        }
      }
      return null;
    }
  }

  /** What a firing alert does: {@code log}, {@code webhook} (with {@code url}) or {@code function} (with {@code path}). */
  public record AlertAction(String type, String url, String path) {
    public static final AlertAction LOG = new AlertAction("log", null, null);
  }

  public record AlertRule(
      String name,
      String metric,
      double threshold,
      AlertOperator operator,
      long windowSeconds,
      AlertAction action,
      boolean enabled,
      long cooldownSeconds) {}

  /** Spans named {@code name} (wildcards allowed), optionally only of {@code service}, hidden from trace trees. */
  public record CollapseRule(String name, String service) {}

  /** Upstream seeds 1,000,000; a ring that size holds hundreds of MB, so ours holds 10,000. */
  static final long SEED_MEMORY_MAX_SPANS = 10_000;
  static final long DEFAULT_METRICS_RETENTION_SECONDS = 3600;
  static final long DEFAULT_METRICS_MAX_COUNT = 10_000;
  static final long DEFAULT_LOGS_MAX_COUNT = 1000;
  static final long DEFAULT_LOGS_RETENTION_SECONDS = 3600;
  static final long DEFAULT_LOGS_BATCH_SIZE = 100;
  static final long MAX_LOGS_BATCH_SIZE = 10_000;
  static final long DEFAULT_LOGS_FLUSH_INTERVAL_MS = 5000;
  static final long MIN_LOGS_FLUSH_INTERVAL_MS = 100;
  static final long MAX_LOGS_FLUSH_INTERVAL_MS = 3_600_000;

  /** The JSON Schema the configuration worker checks this block against (the parser checks the rest). */
  public static final String SCHEMA =
      """
      {"type": "object", "additionalProperties": false, "properties": {
        "enabled": {"type": "boolean"}, "live_spans": {"type": "boolean"}, "metrics_enabled": {"type": "boolean"},
        "logs_enabled": {"type": "boolean"}, "logs_console_output": {"type": "boolean"},
        "sampling_ratio": {"type": "number", "minimum": 0, "maximum": 1},
        "logs_sampling_ratio": {"type": "number", "minimum": 0, "maximum": 1},
        "service_name": {"type": "string"}, "service_version": {"type": "string"}, "service_namespace": {"type": ["string", "null"]},
        "exporter": {"enum": ["memory", "otlp", "both"]}, "metrics_exporter": {"enum": ["memory", "otlp", "both"]},
        "logs_exporter": {"enum": ["memory", "otlp", "both"]}, "endpoint": {"type": "string"},
        "memory_max_spans": {"type": "integer", "minimum": 0}, "metrics_retention_seconds": {"type": "integer", "minimum": 0},
        "metrics_max_count": {"type": "integer", "minimum": 0}, "logs_max_count": {"type": "integer", "minimum": 0},
        "logs_retention_seconds": {"type": "integer", "minimum": 0}, "logs_batch_size": {"type": "integer", "minimum": 0},
        "logs_flush_interval_ms": {"type": "integer", "minimum": 0},
        "sampling": {"type": "object"}, "alerts": {"type": "array"}, "collapse_spans": {"type": "array"},
        "level": {"type": "string"}, "format": {"type": "string"}}}
      """;

  private static final Set<String> KEYS =
      Set.of(
          "enabled", "service_name", "service_version", "service_namespace", "exporter", "endpoint",
          "sampling_ratio", "sampling", "live_spans", "memory_max_spans", "metrics_enabled", "metrics_exporter",
          "metrics_retention_seconds", "metrics_max_count", "logs_enabled", "logs_exporter", "logs_max_count",
          "logs_retention_seconds", "logs_console_output", "logs_sampling_ratio", "logs_batch_size",
          "logs_flush_interval_ms", "alerts", "level", "format", "collapse_spans");

  private boolean enabled;
  private String serviceName;
  private String serviceVersion;
  private String serviceNamespace;
  private Exporter exporter;
  private String endpoint;
  private double samplingRatio;
  private Sampling sampling;
  private boolean liveSpans;
  private long memoryMaxSpans;
  private boolean metricsEnabled;
  private Exporter metricsExporter;
  private long metricsRetentionSeconds;
  private long metricsMaxCount;
  private boolean logsEnabled;
  private Exporter logsExporter;
  private long logsMaxCount;
  private long logsRetentionSeconds;
  private boolean logsConsoleOutput;
  private double logsSamplingRatio;
  private long logsBatchSize;
  private long logsFlushIntervalMs;
  private List<AlertRule> alerts;
  private String level;
  private String format;
  private List<CollapseRule> collapseSpans;

  private ObservabilityConfig() {}

  /** The block of {@code entry}; {@code SERVICE_VERSION} from the process environment. */
  public static ObservabilityConfig from(WorkerEntry entry) throws ConfigException {
    return from(entry, System::getenv);
  }

  public static ObservabilityConfig from(WorkerEntry entry, Function<String, String> env) throws ConfigException {
    ConfigBlock block = ConfigBlock.of(entry);
    return block.node().isMissingNode() ? seed(env) : parse(block.onlyKeys(KEYS), env);
  }

  /** What upstream runs with when config.yaml has no {@code config:} for this worker. */
  static ObservabilityConfig seed(Function<String, String> env) {
    ObservabilityConfig c = new ObservabilityConfig();
    c.enabled = true;
    c.serviceName = "iii";
    String version = env.apply("SERVICE_VERSION");
    c.serviceVersion = version != null ? version : EngineVersion.VERSION; // ${SERVICE_VERSION:__III_ENGINE_VERSION__}
    c.serviceNamespace = null;
    c.exporter = Exporter.MEMORY;
    c.endpoint = null;
    c.samplingRatio = 1.0;
    c.sampling = Sampling.NONE;
    c.liveSpans = true; // the memory exporter's default
    c.memoryMaxSpans = SEED_MEMORY_MAX_SPANS;
    c.metricsEnabled = true;
    c.metricsExporter = Exporter.MEMORY;
    c.metricsRetentionSeconds = DEFAULT_METRICS_RETENTION_SECONDS;
    c.metricsMaxCount = DEFAULT_METRICS_MAX_COUNT;
    c.logsEnabled = true;
    c.logsExporter = Exporter.MEMORY;
    c.logsMaxCount = DEFAULT_LOGS_MAX_COUNT;
    c.logsRetentionSeconds = DEFAULT_LOGS_RETENTION_SECONDS;
    c.logsConsoleOutput = true;
    c.logsSamplingRatio = 1.0;
    c.logsBatchSize = DEFAULT_LOGS_BATCH_SIZE;
    c.logsFlushIntervalMs = DEFAULT_LOGS_FLUSH_INTERVAL_MS;
    c.alerts = List.of();
    c.level = "info";
    c.format = "default";
    c.collapseSpans = List.of();
    return c;
  }

  /**
   * A written block. Beyond upstream, a key it leaves out takes the same default as when there is
   * no block at all: upstream falls back to {@code enabled: false}, {@code exporter: otlp} and
   * {@code metrics_enabled: false} there, so a block that only sets, say, {@code sampling_ratio}
   * would quietly turn tracing, the span store and the metrics off.
   */
  private static ObservabilityConfig parse(ConfigBlock b, Function<String, String> env) throws ConfigException {
    ObservabilityConfig seed = seed(env);
    ObservabilityConfig c = new ObservabilityConfig();
    c.enabled = b.bool("enabled", seed.enabled);
    c.serviceName = b.string("service_name", seed.serviceName);
    c.serviceVersion = b.string("service_version", seed.serviceVersion);
    c.serviceNamespace = b.string("service_namespace", null);
    c.exporter = exporter(b, "exporter", seed.exporter, true);
    c.endpoint = b.string("endpoint", null);
    c.samplingRatio = ratio(b, "sampling_ratio");
    c.sampling = sampling(b);
    Boolean live = b.has("live_spans") ? b.bool("live_spans", false) : null;
    c.liveSpans = live != null ? live : c.exporter == Exporter.MEMORY;
    c.memoryMaxSpans = count(b, "memory_max_spans", seed.memoryMaxSpans);
    c.metricsEnabled = b.bool("metrics_enabled", seed.metricsEnabled);
    c.metricsExporter = exporter(b, "metrics_exporter", Exporter.MEMORY, false);
    c.metricsRetentionSeconds = count(b, "metrics_retention_seconds", DEFAULT_METRICS_RETENTION_SECONDS);
    c.metricsMaxCount = count(b, "metrics_max_count", DEFAULT_METRICS_MAX_COUNT);
    c.logsEnabled = b.bool("logs_enabled", true);
    c.logsExporter = exporter(b, "logs_exporter", Exporter.MEMORY, true);
    c.logsMaxCount = count(b, "logs_max_count", DEFAULT_LOGS_MAX_COUNT);
    c.logsRetentionSeconds = count(b, "logs_retention_seconds", DEFAULT_LOGS_RETENTION_SECONDS);
    c.logsConsoleOutput = b.bool("logs_console_output", true);
    c.logsSamplingRatio = ratio(b, "logs_sampling_ratio");
    c.logsBatchSize = Math.min(MAX_LOGS_BATCH_SIZE, count(b, "logs_batch_size", DEFAULT_LOGS_BATCH_SIZE));
    c.logsFlushIntervalMs =
        Math.max(MIN_LOGS_FLUSH_INTERVAL_MS,
            Math.min(MAX_LOGS_FLUSH_INTERVAL_MS, count(b, "logs_flush_interval_ms", DEFAULT_LOGS_FLUSH_INTERVAL_MS)));
    c.alerts = alerts(b);
    c.level = b.string("level", "info");
    c.format = b.string("format", "default");
    if (!c.format.equals("default") && !c.format.equals("json")) {
      throw new ConfigException(b.path() + ".format: must be default or json, got " + c.format);
    }
    c.collapseSpans = collapseRules(b);
    return c;
  }

  private static Exporter exporter(ConfigBlock b, String key, Exporter fallback, boolean bothAllowed) throws ConfigException {
    String text = b.string(key, null);
    if (text == null) {
      return fallback;
    }
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "memory" -> Exporter.MEMORY;
      case "otlp" -> Exporter.OTLP;
      case "both" -> {
        if (!bothAllowed) {
          throw new ConfigException(b.path() + "." + key + ": must be memory or otlp, got " + text);
        }
        yield Exporter.BOTH;
      }
      default ->
          throw new ConfigException(
              b.path() + "." + key + ": must be " + (bothAllowed ? "memory, otlp or both" : "memory or otlp") + ", got " + text);
    };
  }

  /** A ratio: clamped to 0..1, as upstream does on every read. */
  private static double ratio(ConfigBlock b, String key) throws ConfigException {
    return clamp(b.number(key, 1.0));
  }

  private static double clamp(double ratio) {
    return Math.max(0.0, Math.min(1.0, ratio));
  }

  /** A count or period: zero means the default; a negative one is refused. */
  private static long count(ConfigBlock b, String key, long fallback) throws ConfigException {
    long value = b.integer(key, fallback);
    if (value < 0) {
      throw new ConfigException(b.path() + "." + key + ": must be zero (the default) or positive, got " + value);
    }
    return value == 0 ? fallback : value;
  }

  private static Sampling sampling(ConfigBlock b) throws ConfigException {
    if (!b.has("sampling")) {
      return Sampling.NONE;
    }
    ConfigBlock s = b.child("sampling").onlyKeys(Set.of("default", "parent_based", "rules", "rate_limit"));
    Double defaultRatio = s.has("default") ? clamp(s.number("default", 1.0)) : null;
    Boolean parentBased = s.has("parent_based") ? s.bool("parent_based", false) : null;
    List<SamplingRule> rules = new ArrayList<>();
    for (ConfigBlock rule : list(s, "rules")) {
      rule.onlyKeys(Set.of("operation", "service", "rate"));
      if (!rule.has("rate")) {
        throw new ConfigException(rule.path() + ".rate: required");
      }
      rules.add(new SamplingRule(rule.string("operation", null), rule.string("service", null), clamp(rule.number("rate", 1.0))));
    }
    Integer maxPerSecond = null;
    if (s.has("rate_limit")) {
      ConfigBlock limit = s.child("rate_limit").onlyKeys(Set.of("max_traces_per_second"));
      if (!limit.has("max_traces_per_second")) {
        throw new ConfigException(limit.path() + ".max_traces_per_second: required");
      }
      long value = limit.positive("max_traces_per_second", 1);
      if (value > Integer.MAX_VALUE) {
        throw new ConfigException(limit.path() + ".max_traces_per_second: at most " + Integer.MAX_VALUE);
      }
      maxPerSecond = (int) value;
    }
    return new Sampling(defaultRatio, parentBased, List.copyOf(rules), maxPerSecond);
  }

  private static List<AlertRule> alerts(ConfigBlock b) throws ConfigException {
    List<AlertRule> out = new ArrayList<>();
    for (ConfigBlock a : list(b, "alerts")) {
      a.onlyKeys(Set.of("name", "metric", "threshold", "operator", "window_seconds", "action", "enabled", "cooldown_seconds"));
      for (String required : List.of("name", "metric", "threshold")) {
        if (!a.has(required)) {
          throw new ConfigException(a.path() + "." + required + ": required");
        }
      }
      String operatorText = a.string("operator", ">");
      AlertOperator operator = AlertOperator.parse(operatorText);
      if (operator == null) {
        throw new ConfigException(
            a.path() + ".operator: must be one of >, >=, <, <=, ==, != (or greaterthan, greaterthanorequal, lessthan, "
                + "lessthanorequal, equal, notequal), got " + operatorText);
      }
      out.add(
          new AlertRule(
              a.string("name", null),
              a.string("metric", null),
              a.number("threshold", 0),
              operator,
              count(a, "window_seconds", 60),
              action(a),
              a.bool("enabled", true),
              count(a, "cooldown_seconds", 60)));
    }
    return List.copyOf(out);
  }

  private static AlertAction action(ConfigBlock alert) throws ConfigException {
    if (!alert.has("action")) {
      return AlertAction.LOG;
    }
    ConfigBlock a = alert.child("action");
    String type = a.string("type", null);
    if (type == null) {
      throw new ConfigException(a.path() + ".type: required (log, webhook or function)");
    }
    return switch (type) {
      case "log" -> {
        a.onlyKeys(Set.of("type"));
        yield AlertAction.LOG;
      }
      case "webhook" -> {
        a.onlyKeys(Set.of("type", "url"));
        String url = a.string("url", null);
        if (url == null) {
          throw new ConfigException(a.path() + ".url: required for a webhook action");
        }
        yield new AlertAction("webhook", url, null);
      }
      case "function" -> {
        a.onlyKeys(Set.of("type", "path"));
        String path = a.string("path", null);
        if (path == null) {
          throw new ConfigException(a.path() + ".path: required for a function action");
        }
        yield new AlertAction("function", null, path);
      }
      default -> throw new ConfigException(a.path() + ".type: must be log, webhook or function, got " + type);
    };
  }

  private static List<CollapseRule> collapseRules(ConfigBlock b) throws ConfigException {
    List<CollapseRule> out = new ArrayList<>();
    for (ConfigBlock rule : list(b, "collapse_spans")) {
      rule.onlyKeys(Set.of("name", "service"));
      String name = rule.string("name", null);
      if (name == null) {
        throw new ConfigException(rule.path() + ".name: required");
      }
      out.add(new CollapseRule(name, rule.string("service", null)));
    }
    return List.copyOf(out);
  }

  /** The mappings of a list key, each as a block named like {@code alerts[0]}. */
  private static List<ConfigBlock> list(ConfigBlock b, String key) throws ConfigException {
    if (!b.has(key)) {
      return List.of();
    }
    JsonNode items = b.node().get(key);
    if (!items.isArray()) {
      throw new ConfigException(b.path() + "." + key + ": must be a list");
    }
    List<ConfigBlock> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      ConfigBlock item = new ConfigBlock(b.path() + "." + key + "[" + i + "]", items.get(i));
      if (!items.get(i).isObject()) {
        throw new ConfigException(item.path() + ": must be a mapping");
      }
      out.add(item);
    }
    return out;
  }

  public boolean enabled() {
    return enabled;
  }

  public String serviceName() {
    return serviceName;
  }

  public String serviceVersion() {
    return serviceVersion;
  }

  /** Null when not set. */
  public String serviceNamespace() {
    return serviceNamespace;
  }

  public Exporter exporter() {
    return exporter;
  }

  /**
   * The OTLP collector; null when the block names none, and then the standard {@code
   * OTEL_EXPORTER_OTLP_*} variables decide, else upstream's {@code http://localhost:4317}.
   */
  public String endpoint() {
    return endpoint;
  }

  public double samplingRatio() {
    return samplingRatio;
  }

  public Sampling sampling() {
    return sampling;
  }

  /** Resolved: the {@code live_spans} key, else on for {@code exporter: memory} only. */
  public boolean liveSpans() {
    return liveSpans;
  }

  public long memoryMaxSpans() {
    return memoryMaxSpans;
  }

  public boolean metricsEnabled() {
    return metricsEnabled;
  }

  /** {@link Exporter#MEMORY} or {@link Exporter#OTLP}. */
  public Exporter metricsExporter() {
    return metricsExporter;
  }

  public long metricsRetentionSeconds() {
    return metricsRetentionSeconds;
  }

  public long metricsMaxCount() {
    return metricsMaxCount;
  }

  public boolean logsEnabled() {
    return logsEnabled;
  }

  public Exporter logsExporter() {
    return logsExporter;
  }

  public long logsMaxCount() {
    return logsMaxCount;
  }

  public long logsRetentionSeconds() {
    return logsRetentionSeconds;
  }

  public boolean logsConsoleOutput() {
    return logsConsoleOutput;
  }

  public double logsSamplingRatio() {
    return logsSamplingRatio;
  }

  public long logsBatchSize() {
    return logsBatchSize;
  }

  public long logsFlushIntervalMs() {
    return logsFlushIntervalMs;
  }

  public List<AlertRule> alerts() {
    return alerts;
  }

  public String level() {
    return level;
  }

  public String format() {
    return format;
  }

  public List<CollapseRule> collapseSpans() {
    return collapseSpans;
  }
}
