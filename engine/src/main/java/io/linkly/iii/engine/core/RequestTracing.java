package io.linkly.iii.engine.core;

/**
 * Spans around work the engine serves that is not itself an invocation, such as an HTTP request:
 * the calls made for it become its children. Tracing plugs in here ({@link Engine#useRequestTracing});
 * without it, {@link #OFF} costs a field read and nothing else.
 */
@FunctionalInterface
public interface RequestTracing {

  RequestTracing OFF = (method, route, target, traceparent, baggage) -> RequestSpan.NONE;

  /**
   * Starts the span of an HTTP request to {@code route} (its pattern, such as {@code /s/:code});
   * {@code traceparent} is the request's own header (null: the request starts a trace).
   */
  RequestSpan startHttp(String method, String route, String target, String traceparent, String baggage);

  /** One request's span. */
  interface RequestSpan {

    /** No span: calls carry what the request brought. */
    RequestSpan NONE =
        new RequestSpan() {
          @Override
          public String traceparent(String incoming) {
            return incoming;
          }

          @Override
          public void end(int status, String failure) {}
        };

    /** What the calls made for the request carry: this span's context, or {@code incoming} when there is no span. */
    String traceparent(String incoming);

    /** Ends the span with the response status; {@code failure} (may be null) says why it failed. Once. */
    void end(int status, String failure);
  }
}
