package io.linkly.iii.engine.workers.observability.tracing;

import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.core.EngineVersion;
import java.util.Locale;

/**
 * The tracing part of {@code iii-observability}'s config (BUILTINS.md §11.1): whether spans are
 * made, under which service identity, how many are sampled, and where they go ({@code memory}:
 * the engine's own store, read by {@code engine::traces::*}; {@code otlp}: a collector at
 * {@code endpoint}; {@code both}). A null {@code endpoint} leaves it to the {@code OTEL_EXPORTER_OTLP_*}
 * variables, then {@link #DEFAULT_ENDPOINT} ({@link OtlpTarget}).
 */
public record TracingSettings(
    boolean enabled,
    String serviceName,
    String serviceVersion,
    double samplingRatio,
    Exporter exporter,
    String endpoint,
    int memoryMaxSpans) {

  public static final String DEFAULT_ENDPOINT = "http://localhost:4317";
  public static final int DEFAULT_MEMORY_MAX_SPANS = 1000;

  public enum Exporter {
    MEMORY,
    OTLP,
    BOTH;

    public boolean stores() {
      return this != OTLP;
    }

    public boolean exports() {
      return this != MEMORY;
    }
  }

  public TracingSettings {
    samplingRatio = Double.isNaN(samplingRatio) ? 1.0 : Math.max(0.0, Math.min(1.0, samplingRatio));
    memoryMaxSpans = memoryMaxSpans <= 0 ? DEFAULT_MEMORY_MAX_SPANS : memoryMaxSpans;
  }

  /** Upstream's defaults when the block says nothing: on, {@code iii}, everything sampled, kept in memory. */
  public static final TracingSettings DEFAULTS =
      new TracingSettings(true, "iii", EngineVersion.VERSION, 1.0, Exporter.MEMORY, null, DEFAULT_MEMORY_MAX_SPANS);

  /** Reads the tracing keys of the block ({@code enabled}, {@code service_name}, … {@code memory_max_spans}). */
  public static TracingSettings from(ConfigBlock config) throws ConfigException {
    String exporter = config.string("exporter", "memory").trim().toLowerCase(Locale.ROOT);
    Exporter kind =
        switch (exporter) {
          case "memory" -> Exporter.MEMORY;
          case "otlp" -> Exporter.OTLP;
          case "both" -> Exporter.BOTH;
          default -> throw new ConfigException(config.path() + ".exporter: must be memory, otlp or both, got " + exporter);
        };
    return new TracingSettings(
        config.bool("enabled", true),
        config.string("service_name", "iii"),
        config.string("service_version", EngineVersion.VERSION),
        ratio(config, "sampling_ratio"),
        kind,
        config.string("endpoint", null),
        (int) Math.min(Integer.MAX_VALUE, config.integer("memory_max_spans", DEFAULT_MEMORY_MAX_SPANS)));
  }

  private static double ratio(ConfigBlock config, String key) throws ConfigException {
    var value = config.node().get(key);
    if (value == null || value.isNull()) {
      return 1.0;
    }
    if (value.isNumber()) {
      return value.doubleValue();
    }
    if (value.isTextual()) {
      try {
        return Double.parseDouble(value.textValue().trim());
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new ConfigException(config.path() + "." + key + ": must be a number between 0 and 1, got " + value);
  }
}
