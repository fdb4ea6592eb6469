package io.linkly.iii.engine.workers.observability.tracing;

import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.EngineVersion;
import io.linkly.iii.engine.core.RequestTracing;
import io.linkly.iii.engine.core.Telemetry;
import io.linkly.iii.engine.core.Worker;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.common.export.GrpcSenderProvider;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's tracing, built on the OpenTelemetry SDK and installed by {@code iii-observability}
 * at start: a tracer provider (parent-based sampling at {@code sampling_ratio}), the
 * {@link TracingInterceptor} on the router's chain, spans around HTTP requests, the span store
 * ({@code memory|both}) fed by the engine's spans and by the SDKs' {@code OTLP} frames, the
 * {@code engine::traces::*} functions, and the OTLP exporter ({@code otlp|both}) behind a batch
 * processor whose bounded queue drops spans while a collector is away; it sends the SDKs' spans
 * too. An engine whose config
 * turns tracing off gets none of it: its router chain is as before.
 */
public final class Tracing implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Tracing.class);
  static final int EXPORT_QUEUE = 2048;

  private final SdkTracerProvider provider;
  private final SpanStore store;
  private final Engine engine;
  private final Swappable sampler; // null when tracing is off

  private Tracing(SdkTracerProvider provider, SpanStore store, Engine engine, Swappable sampler) {
    this.provider = provider;
    this.store = store;
    this.engine = engine;
    this.sampler = sampler;
  }

  /** A sampler whose rules can be replaced while spans are being made ({@code sampling_ratio} is live). */
  private static final class Swappable implements io.opentelemetry.sdk.trace.samplers.Sampler {
    private volatile io.opentelemetry.sdk.trace.samplers.Sampler delegate;

    Swappable(io.opentelemetry.sdk.trace.samplers.Sampler delegate) {
      this.delegate = delegate;
    }

    @Override
    public io.opentelemetry.sdk.trace.samplers.SamplingResult shouldSample(
        io.opentelemetry.context.Context parentContext, String traceId, String name, io.opentelemetry.api.trace.SpanKind spanKind,
        io.opentelemetry.api.common.Attributes attributes, List<io.opentelemetry.sdk.trace.data.LinkData> parentLinks) {
      return delegate.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
    }

    @Override
    public String getDescription() {
      return delegate.getDescription();
    }
  }

  /** Applies new sampling settings ({@code sampling_ratio}, {@code sampling}) to the spans made from now on. */
  public void resample(TracingSettings settings) {
    if (sampler != null) {
      sampler.delegate = ConfiguredSampler.of(settings.samplingRatio(), settings.sampling(), settings.serviceName(), System::nanoTime);
    }
  }

  /**
   * Starts tracing for {@code engine} as {@code settings} say and registers the trace functions on
   * {@code module}; {@code env} is the process environment (injectable for tests).
   */
  public static Tracing start(TracingSettings settings, Engine engine, Worker module, Map<String, String> env) {
    boolean on = settings.enabled();
    SpanStore store = on && settings.exporter().stores() ? new SpanStore(settings.memoryMaxSpans()) : null;
    new TraceFunctions(store).register(engine, module);
    if (!on) {
      return new Tracing(null, null, engine, null);
    }
    Resource resource =
        Resource.create(
            Attributes.of(
                AttributeKey.stringKey("service.name"), settings.serviceName(),
                AttributeKey.stringKey("service.version"), settings.serviceVersion()));
    Swappable sampler = new Swappable(ConfiguredSampler.of(settings.samplingRatio(), settings.sampling(), settings.serviceName(), System::nanoTime));
    SdkTracerProviderBuilder builder =
        SdkTracerProvider.builder()
            .setResource(resource)
            .setSampler(sampler);
    if (store != null) {
      builder.addSpanProcessor(store);
    }
    BatchSpanProcessor export = null;
    if (settings.exporter().exports()) {
      OtlpTarget target = OtlpTarget.resolve(settings.endpoint(), env);
      export =
          BatchSpanProcessor.builder(exporter(target))
              .setMaxQueueSize(EXPORT_QUEUE)
              .setScheduleDelay(Duration.ofMillis(scheduleDelayMs(env)))
              .build();
      builder.addSpanProcessor(export);
      log.info("iii-observability exports spans over OTLP/{} to {}", target.protocol() == OtlpTarget.Protocol.GRPC ? "gRPC" : "HTTP", target.url());
    }
    SdkTracerProvider provider = builder.build();
    Tracer tracer = provider.get("iii-engine", EngineVersion.VERSION);
    boolean traceBuiltins = "true".equalsIgnoreCase(env.get("III_OTEL_TRACE_BUILTINS")) || "1".equals(env.get("III_OTEL_TRACE_BUILTINS"));
    engine.router().addInterceptor(new TracingInterceptor(tracer, traceBuiltins));
    engine.useRequestTracing(new HttpSpans(tracer));
    BatchSpanProcessor forward = export;
    engine.telemetry().handle(
        Telemetry.Signal.SPANS,
        request -> {
          List<StoredSpan> spans = OtlpJsonSpans.read(request);
          if (store != null) {
            store.addAll(spans);
          }
          if (forward != null) {
            spans.forEach(span -> forward.onEnd(new ForwardedSpan(span))); // the SDKs' spans reach the collector too
          }
        });
    return new Tracing(provider, store, engine, sampler);
  }

  private static SpanExporter exporter(OtlpTarget target) {
    return switch (target.protocol()) {
      case HTTP_PROTOBUF -> OtlpHttpSpanExporter.builder().setEndpoint(target.url()).build();
      case GRPC ->
          OtlpGrpcSpanExporter.builder()
              .setEndpoint(target.url())
              .setComponentLoader(withGrpcSender(ComponentLoader.forClassLoader(Tracing.class.getClassLoader())))
              .build();
    };
  }

  /** The class path's components, with our Netty gRPC sender as the one gRPC sender. */
  private static ComponentLoader withGrpcSender(ComponentLoader classPath) {
    return new ComponentLoader() {
      @Override
      @SuppressWarnings("unchecked")
      public <T> Iterable<T> load(Class<T> type) {
        if (type == GrpcSenderProvider.class) {
          return (Iterable<T>) List.of(NettyGrpcSender.PROVIDER);
        }
        return classPath.load(type);
      }
    };
  }

  private static long scheduleDelayMs(Map<String, String> env) {
    String value = env.get("OTEL_BSP_SCHEDULE_DELAY");
    if (value != null) {
      try {
        return Math.max(1, Long.parseLong(value.trim()));
      } catch (NumberFormatException e) {
        log.warn("OTEL_BSP_SCHEDULE_DELAY is not a number of milliseconds; using 1000");
      }
    }
    return 1000;
  }

  /** True when spans are made (the config did not turn tracing off). */
  public boolean enabled() {
    return provider != null;
  }

  /** Stored spans, or -1 without a memory store (for {@code engine::health::check}). */
  public int storedSpans() {
    return store == null ? -1 : store.size();
  }

  /** Exports what the batch processor holds and waits up to {@code timeoutMs} for it. */
  public void flush(long timeoutMs) {
    if (provider != null) {
      provider.forceFlush().join(timeoutMs, TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void close() {
    if (provider == null) {
      return;
    }
    engine.useRequestTracing(RequestTracing.OFF);
    provider.shutdown().join(5, TimeUnit.SECONDS);
  }
}
