package io.linkly.iii.engine.workers.observability.tracing;

import io.linkly.iii.engine.workers.observability.ObservabilityConfig;

/**
 * The tracing part of {@code iii-observability}'s config (BUILTINS.md §11.1): whether spans are
 * made, under which service identity, how many are sampled ({@link ConfiguredSampler}), and where they go ({@code memory}:
 * the engine's own store, read by {@code engine::traces::*}; {@code otlp}: a collector at
 * {@code endpoint}; {@code both}). A null {@code endpoint} leaves it to the {@code OTEL_EXPORTER_OTLP_*}
 * variables, then {@link #DEFAULT_ENDPOINT} ({@link OtlpTarget}).
 */
public record TracingSettings(
    boolean enabled,
    String serviceName,
    String serviceVersion,
    double samplingRatio,
    ObservabilityConfig.Sampling sampling,
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
    sampling = sampling == null ? ObservabilityConfig.Sampling.NONE : sampling;
    memoryMaxSpans = memoryMaxSpans <= 0 ? DEFAULT_MEMORY_MAX_SPANS : memoryMaxSpans;
  }

  /** The tracing part of the observability worker's settings. */
  public static TracingSettings from(ObservabilityConfig config) {
    Exporter kind =
        switch (config.exporter()) {
          case MEMORY -> Exporter.MEMORY;
          case OTLP -> Exporter.OTLP;
          case BOTH -> Exporter.BOTH;
        };
    return new TracingSettings(
        config.enabled(),
        config.serviceName(),
        config.serviceVersion(),
        config.samplingRatio(),
        config.sampling(),
        kind,
        config.endpoint(),
        (int) Math.min(Integer.MAX_VALUE, config.memoryMaxSpans()));
  }
}
