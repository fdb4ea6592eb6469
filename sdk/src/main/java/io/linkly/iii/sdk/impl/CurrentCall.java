package io.linkly.iii.sdk.impl;

import io.linkly.iii.sdk.InvocationContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The call a handler is serving, on the handler's own thread: calls the handler makes carry its
 * {@code traceparent} and {@code baggage}, so the engine parents their spans on the call being
 * served and one request's path through many workers is one trace (W3C trace context).
 */
final class CurrentCall {

  private static final ThreadLocal<InvocationContext> SERVING = new ThreadLocal<>();

  private CurrentCall() {}

  static void enter(InvocationContext context) {
    SERVING.set(context);
  }

  static void leave() {
    SERVING.remove();
  }

  static String traceparent() {
    InvocationContext context = SERVING.get();
    return context == null ? null : context.traceparent();
  }

  static String baggage() {
    InvocationContext context = SERVING.get();
    return context == null ? null : context.baggage();
  }

  /**
   * The call's baggage plus {@code iii.function.id} naming the function being served: a log line
   * a handler writes carries it, so that {@code engine::logs::list} files the line under its function.
   */
  static String baggageNamingTheFunction() {
    InvocationContext context = SERVING.get();
    if (context == null || context.functionId() == null) {
      return context == null ? null : context.baggage();
    }
    // W3C baggage values are percent-encoded: a space is %20, never a form-encoded +
    String entry = "iii.function.id=" + URLEncoder.encode(context.functionId(), StandardCharsets.UTF_8).replace("+", "%20");
    String baggage = context.baggage();
    return baggage == null || baggage.isBlank() ? entry : baggage + "," + entry;
  }
}
