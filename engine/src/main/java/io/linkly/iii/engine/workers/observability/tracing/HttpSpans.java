package io.linkly.iii.engine.workers.observability.tracing;

import io.linkly.iii.engine.core.RequestTracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;

/**
 * The span of an HTTP request served by {@code iii-http}, named as upstream names it
 * ({@code GET /s/:code}): the root of a redirect's trace unless the client sent a
 * {@code traceparent}, and the parent of every call made for the request (middleware, condition,
 * handler). A 5xx ends it in error.
 */
final class HttpSpans implements RequestTracing {

  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
  private static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
  private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");

  private final Tracer tracer;

  HttpSpans(Tracer tracer) {
    this.tracer = tracer;
  }

  @Override
  public RequestSpan startHttp(String method, String route, String target, String traceparent, String baggage) {
    if (TraceParent.unsampled(traceparent)) {
      return RequestSpan.NONE; // the client decided: its context passes on untouched
    }
    SpanContext parent = TraceParent.parse(traceparent);
    String path = route.startsWith("/") ? route : "/" + route; // routes are stored without it
    Span span =
        tracer
            .spanBuilder(method + " " + path)
            .setParent(parent == null ? Context.root() : Context.root().with(Span.wrap(parent)))
            .setSpanKind(SpanKind.SERVER)
            .startSpan();
    String context = TraceParent.format(span.getSpanContext());
    if (!span.isRecording()) {
      return new Unsampled(context);
    }
    span.setAttribute(METHOD, method);
    span.setAttribute(ROUTE, path);
    int query = target.indexOf('?');
    span.setAttribute(PATH, query < 0 ? target : target.substring(0, query));
    return new Recording(span, context);
  }

  private record Unsampled(String context) implements RequestSpan {
    @Override
    public String traceparent(String incoming) {
      return context;
    }

    @Override
    public void end(int status, String failure) {}
  }

  private record Recording(Span span, String context) implements RequestSpan {
    @Override
    public String traceparent(String incoming) {
      return context;
    }

    @Override
    public void end(int status, String failure) {
      span.setAttribute(STATUS, (long) status);
      if (status >= 500) {
        span.setStatus(StatusCode.ERROR, failure == null ? "HTTP " + status : failure);
      } else {
        span.setStatus(StatusCode.OK);
      }
      span.end();
    }
  }
}
