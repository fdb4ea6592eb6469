package io.linkly.iii.engine.workers.observability;

/**
 * The trace and parent span ids of a W3C {@code traceparent} header ({@code
 * 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>}), and the {@code iii.function.id} entry of
 * a W3C {@code baggage} header. Anything malformed yields null, as the W3C rules say to ignore it.
 */
record TraceContext(String traceId, String spanId) {

  private static final String ZERO_TRACE = "00000000000000000000000000000000";
  private static final String ZERO_SPAN = "0000000000000000";

  static TraceContext parse(String traceparent) {
    if (traceparent == null) {
      return null;
    }
    String header = traceparent.trim();
    // version 00 is exactly 55 characters; a later version may append fields after a dash
    if (header.length() < 55 || (header.length() > 55 && header.charAt(55) != '-')) {
      return null;
    }
    String version = header.substring(0, 2);
    if (!isLowerHex(version) || version.equals("ff") || (version.equals("00") && header.length() != 55)) {
      return null;
    }
    if (header.charAt(2) != '-' || header.charAt(35) != '-' || header.charAt(52) != '-') {
      return null;
    }
    String traceId = header.substring(3, 35);
    String spanId = header.substring(36, 52);
    String flags = header.substring(53, 55);
    if (!isLowerHex(traceId) || !isLowerHex(spanId) || !isLowerHex(flags)
        || traceId.equals(ZERO_TRACE) || spanId.equals(ZERO_SPAN)) {
      return null;
    }
    return new TraceContext(traceId, spanId);
  }

  /** The value of {@code key} in a W3C baggage header, percent-decoded; null when absent. */
  static String baggageEntry(String baggage, String key) {
    if (baggage == null) {
      return null;
    }
    for (String member : baggage.split(",")) {
      int semicolon = member.indexOf(';'); // properties follow the value
      String pair = semicolon < 0 ? member : member.substring(0, semicolon);
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).trim().equals(key)) {
        try {
          return java.net.URLDecoder.decode(pair.substring(eq + 1).trim().replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return null;
        }
      }
    }
    return null;
  }

  private static boolean isLowerHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }
}
