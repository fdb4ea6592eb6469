package io.linkly.iii.engine.workers.observability.tracing;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;

/**
 * The W3C {@code traceparent} header ({@code 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>})
 * to and from an OpenTelemetry {@link SpanContext}. Parsed by hand: it is read on every traced
 * call, and the SDK's propagator would go through a carrier map.
 */
public final class TraceParent {

  private TraceParent() {}

  /**
   * The remote parent {@code header} names, or null when it is absent or malformed (a malformed
   * header starts a new trace, as W3C asks).
   */
  public static SpanContext parse(String traceparent) {
    String header = traceparent == null ? null : traceparent.strip();
    if (header == null || header.length() < 55) {
      return null;
    }
    // version 00 is exactly 55 chars; a later version may append fields after a dash
    if (header.charAt(2) != '-' || header.charAt(35) != '-' || header.charAt(52) != '-'
        || (header.length() > 55 && header.charAt(55) != '-')) {
      return null;
    }
    if (header.startsWith("ff") || !isLowerHex(header, 0, 2)) {
      return null;
    }
    if (header.startsWith("00") && header.length() != 55) {
      return null;
    }
    String traceId = header.substring(3, 35);
    String spanId = header.substring(36, 52);
    if (!isLowerHex(header, 53, 55)) {
      return null;
    }
    byte flags = (byte) Integer.parseInt(header, 53, 55, 16);
    SpanContext context =
        SpanContext.createFromRemoteParent(traceId, spanId, TraceFlags.fromByte((byte) (flags & 0x01)), TraceState.getDefault());
    return context.isValid() ? context : null;
  }

  /**
   * True when {@code header} is a well-formed version-00 header whose sampled flag is off. Checked
   * without allocating: an unsampled call passes the engine untouched.
   */
  static boolean unsampled(String header) {
    if (header == null || header.length() != 55 || header.charAt(0) != '0' || header.charAt(1) != '0'
        || header.charAt(2) != '-' || header.charAt(35) != '-' || header.charAt(52) != '-') {
      return false;
    }
    if (!isLowerHex(header, 53, 55) || (Character.digit(header.charAt(54), 16) & 1) == 1) {
      return false; // sampled, the common case, decided without reading the ids
    }
    return isLowerHex(header, 3, 35) && isLowerHex(header, 36, 52);
  }

  static String format(SpanContext context) {
    return "00-" + context.getTraceId() + '-' + context.getSpanId() + (context.isSampled() ? "-01" : "-00");
  }

  private static boolean isLowerHex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }
}
