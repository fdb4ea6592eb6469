package io.linkly.iii.engine.workers.observability.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A span an SDK sent over {@code /otel}, handed to the OTLP exporter's batch processor so a
 * collector sees the SDKs' spans beside the engine's: a finished, sampled span under the SDK's own
 * service name. Attribute values are forwarded as the strings they were stored as.
 */
final class ForwardedSpan implements ReadableSpan, SpanData {

  private final StoredSpan span;
  private final SpanContext context;
  private final SpanContext parent;
  private final Attributes attributes;
  private final Resource resource;

  ForwardedSpan(StoredSpan span) {
    this.span = span;
    this.context = SpanContext.create(span.traceId(), span.spanId(), TraceFlags.getSampled(), TraceState.getDefault());
    this.parent =
        span.parentSpanId() == null
            ? SpanContext.getInvalid()
            : SpanContext.createFromRemoteParent(span.traceId(), span.parentSpanId(), TraceFlags.getSampled(), TraceState.getDefault());
    this.attributes = attributes(span.attributes());
    this.resource = Resource.create(Attributes.of(StoredSpan.SERVICE_NAME, span.serviceName()));
  }

  private static Attributes attributes(List<Map.Entry<String, String>> pairs) {
    AttributesBuilder builder = Attributes.builder();
    for (Map.Entry<String, String> pair : pairs) {
      builder.put(AttributeKey.stringKey(pair.getKey()), pair.getValue());
    }
    return builder.build();
  }

  // ------------------------------------------------------------------ ReadableSpan

  @Override
  public SpanContext getSpanContext() {
    return context;
  }

  @Override
  public SpanContext getParentSpanContext() {
    return parent;
  }

  @Override
  public String getName() {
    return span.name();
  }

  @Override
  public SpanData toSpanData() {
    return this;
  }

  @Override
  @SuppressWarnings("deprecation")
  public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
    return InstrumentationLibraryInfo.create(span.scopeName() == null ? "" : span.scopeName(), span.scopeVersion());
  }

  @Override
  public InstrumentationScopeInfo getInstrumentationScopeInfo() {
    return InstrumentationScopeInfo.builder(span.scopeName() == null ? "" : span.scopeName())
        .setVersion(span.scopeVersion())
        .build();
  }

  @Override
  public boolean hasEnded() {
    return true;
  }

  @Override
  public long getLatencyNanos() {
    return span.durationNanos();
  }

  @Override
  public SpanKind getKind() {
    return span.kind();
  }

  @Override
  public <T> T getAttribute(AttributeKey<T> key) {
    return attributes.get(key);
  }

  @Override
  public Attributes getAttributes() {
    return attributes;
  }

  // ------------------------------------------------------------------ SpanData

  @Override
  public StatusData getStatus() {
    StatusCode code = switch (span.status()) {
      case "ok" -> StatusCode.OK;
      case "error" -> StatusCode.ERROR;
      default -> StatusCode.UNSET;
    };
    return StatusData.create(code, span.statusDescription() == null ? "" : span.statusDescription());
  }

  @Override
  public long getStartEpochNanos() {
    return span.startNanos();
  }

  @Override
  public List<EventData> getEvents() {
    List<EventData> out = new ArrayList<>(span.events().size());
    for (StoredSpan.Event e : span.events()) {
      out.add(EventData.create(e.timeNanos(), e.name(), attributes(e.attributes())));
    }
    return out;
  }

  @Override
  public List<LinkData> getLinks() {
    List<LinkData> out = new ArrayList<>(span.links().size());
    for (StoredSpan.Link l : span.links()) {
      SpanContext linked = SpanContext.createFromRemoteParent(l.traceId(), l.spanId(), TraceFlags.getSampled(), TraceState.getDefault());
      if (linked.isValid()) {
        out.add(LinkData.create(linked, attributes(l.attributes())));
      }
    }
    return out;
  }

  @Override
  public long getEndEpochNanos() {
    return span.endNanos();
  }

  @Override
  public int getTotalRecordedEvents() {
    return span.events().size();
  }

  @Override
  public int getTotalRecordedLinks() {
    return span.links().size();
  }

  @Override
  public int getTotalAttributeCount() {
    return span.attributes().size();
  }

  @Override
  public Resource getResource() {
    return resource;
  }
}
