package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the SDKs' telemetry frames go (PROTOCOL.md §1.9): each signal's OTLP JSON request, parsed
 * once by the socket that received it, reaches the one handler that took that signal (the
 * observability worker takes logs and metrics). A signal nobody took is not even parsed.
 * Handlers run on an event loop: they must not block.
 */
public final class Telemetry {

  private static final Logger log = LoggerFactory.getLogger(Telemetry.class);

  /** The frame kinds, by their 4-byte prefix. */
  public enum Signal {
    /** {@code OTLP}: ExportTraceServiceRequest. */
    SPANS,
    /** {@code MTRC}: ExportMetricsServiceRequest. */
    METRICS,
    /** {@code LOGS}: ExportLogsServiceRequest. */
    LOGS
  }

  private final AtomicReferenceArray<Consumer<JsonNode>> handlers = new AtomicReferenceArray<>(Signal.values().length);
  private volatile boolean warned;

  /** Takes {@code signal}; a later call replaces the handler, a null one stops taking it. */
  public void handle(Signal signal, Consumer<JsonNode> handler) {
    handlers.set(signal.ordinal(), handler);
  }

  public boolean wanted(Signal signal) {
    return handlers.get(signal.ordinal()) != null;
  }

  /** Hands one request to its signal's handler; a failing handler costs that request only. */
  public void accept(Signal signal, JsonNode request) {
    Consumer<JsonNode> handler = handlers.get(signal.ordinal());
    if (handler == null) {
      return;
    }
    try {
      handler.accept(request);
    } catch (RuntimeException e) {
      if (!warned) {
        warned = true;
        log.warn("a telemetry handler failed on {} (further failures are not logged)", signal, e);
      }
    }
  }
}
