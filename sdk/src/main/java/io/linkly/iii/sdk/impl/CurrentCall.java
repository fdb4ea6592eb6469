package io.linkly.iii.sdk.impl;

import io.linkly.iii.sdk.InvocationContext;

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
}
