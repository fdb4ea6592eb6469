package io.linkly.iii.engine.workers.observability.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.InvocationInterceptor;
import io.linkly.iii.protocol.ErrorBody;
import io.linkly.iii.protocol.TriggerAction;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One span per invocation, whoever made it: named by the function id, parented on the call's
 * {@code traceparent} (none: a new trace), and ended when the call's future completes (error
 * status when it fails or is cancelled). The call goes on carrying the new span's
 * {@code traceparent}, so the target (a worker's {@code invokefunction}, a built-in, a queue) and
 * every call made on its behalf nest under it.
 *
 * <p>What is not traced passes untouched, costing a few string checks: the observability
 * functions themselves (tracing them would feed the store it reads), calls whose parent was not
 * sampled, and built-ins called without a trace context (the engine's own plumbing, pollers),
 * unless {@code III_OTEL_TRACE_BUILTINS} asks for them (upstream's rule). A call the sampler drops
 * carries the unsampled decision on, so the hops after it are dropped alike.
 *
 * <p>Cancellation keeps working: the future returned is the one the chain gave.
 */
final class TracingInterceptor implements InvocationInterceptor {

  // made once: a key made per call is an allocation and a hash on every traced hop
  private static final AttributeKey<String> FUNCTION_ID = AttributeKey.stringKey("function_id");
  private static final AttributeKey<String> FUNCTION_KIND = AttributeKey.stringKey("iii.function.kind");
  private static final AttributeKey<String> ACTION = AttributeKey.stringKey("iii.action");
  private static final AttributeKey<String> QUEUE = AttributeKey.stringKey("iii.queue");
  private static final AttributeKey<String> CALLER = AttributeKey.stringKey("iii.caller.worker_id");
  private static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey("iii.error.code");

  private final Tracer tracer;
  private final boolean traceContextFreeBuiltins;

  TracingInterceptor(Tracer tracer, boolean traceContextFreeBuiltins) {
    this.tracer = tracer;
    this.traceContextFreeBuiltins = traceContextFreeBuiltins;
  }

  @Override
  public CompletableFuture<JsonNode> intercept(Chain chain) {
    Call call = chain.call();
    String id = call.functionId();
    String incoming = call.traceparent();
    if (isObservability(id) || TraceParent.unsampled(incoming)) {
      return chain.proceed(call);
    }
    boolean builtin = isBuiltin(id);
    if (builtin && incoming == null && !traceContextFreeBuiltins) {
      return chain.proceed(call);
    }
    SpanContext parent = TraceParent.parse(incoming);
    TriggerAction action = call.action();
    Span span =
        tracer
            .spanBuilder(id)
            .setParent(parent == null ? Context.root() : Context.root().with(Span.wrap(parent)))
            .setSpanKind(action instanceof TriggerAction.Enqueue ? SpanKind.PRODUCER : SpanKind.SERVER)
            .startSpan();
    Call traced = call.withTrace(TraceParent.format(span.getSpanContext()), call.baggage());
    if (!span.isRecording()) {
      return chain.proceed(traced); // dropped by the sampler: nothing to end
    }
    describe(span, call, builtin);
    CompletableFuture<JsonNode> outcome;
    try {
      outcome = chain.proceed(traced);
    } catch (RuntimeException e) {
      span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
      span.end();
      throw e;
    }
    outcome.whenComplete((value, failure) -> end(span, failure));
    return outcome;
  }

  private void describe(Span span, Call call, boolean builtin) {
    String id = call.functionId();
    // upstream's key, which its console and filters read; the span's name is the id too. Every
    // attribute is paid for on every traced call, so there is no second copy under other keys.
    span.setAttribute(FUNCTION_ID, id);
    span.setAttribute(FUNCTION_KIND, builtin ? "internal" : "user");
    TriggerAction action = call.action();
    if (action instanceof TriggerAction.Enqueue enqueue) {
      span.setAttribute(ACTION, "enqueue");
      span.setAttribute(QUEUE, enqueue.queue());
    } else {
      span.setAttribute(ACTION, action instanceof TriggerAction.FireAndForget ? "void" : "sync");
    }
    String caller = call.callerWorkerId();
    if (caller != null) {
      span.setAttribute(CALLER, caller);
    }
  }

  private static void end(Span span, Throwable failure) {
    if (failure == null) {
      span.setStatus(StatusCode.OK);
    } else {
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
      if (cause instanceof CancellationException) {
        span.setStatus(StatusCode.ERROR, "cancelled");
      } else {
        ErrorBody error = InvocationException.bodyOf(cause);
        span.setAttribute(ERROR_CODE, error.code());
        span.setStatus(StatusCode.ERROR, error.message());
      }
    }
    span.end();
  }

  /** The trace, log and metric surface: never traced, or reading spans would make spans. */
  static boolean isObservability(String id) {
    if (id.startsWith("engine::")) {
      return id.startsWith("traces::", 8) || id.startsWith("logs::", 8) || id.startsWith("log::", 8)
          || id.startsWith("metrics::", 8) || id.startsWith("baggage::", 8) || id.startsWith("sampling::", 8)
          || id.startsWith("health::", 8) || id.startsWith("alerts::", 8) || id.startsWith("rollups::", 8);
    }
    return id.startsWith("iii-observability::");
  }

  /** Functions the engine serves itself (upstream's list, plus our {@code database::*}). */
  static boolean isBuiltin(String id) {
    return id.startsWith("engine::") || id.startsWith("state::") || id.startsWith("stream::") || id.startsWith("iii::")
        || id.startsWith("database::") || id.startsWith("configuration::") || id.equals("publish");
  }
}
