package io.linkly.iii.engine.core;

/**
 * A call's W3C trace context ({@code traceparent}, {@code baggage}), kept with work the call
 * started that runs later (a stream write's trigger deliveries), so that work joins the call's
 * trace.
 */
public record TraceContext(String traceparent, String baggage) {

  /** The call's context, or null when it carries none. */
  public static TraceContext of(Call call) {
    return call.traceparent() == null && call.baggage() == null ? null : new TraceContext(call.traceparent(), call.baggage());
  }

  /** {@code call} carrying {@code context} (unchanged when {@code context} is null). */
  public static Call apply(TraceContext context, Call call) {
    return context == null ? call : call.withTrace(context.traceparent(), context.baggage());
  }
}
