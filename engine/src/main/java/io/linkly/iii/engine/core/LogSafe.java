package io.linkly.iii.engine.core;

/**
 * Makes a string that came off the wire safe to put in a log line: control characters (line
 * breaks above all, which would let a peer forge log lines) become visible escapes, and a very
 * long value is cut short.
 */
public final class LogSafe {

  static final int MAX_CHARS = 200;

  private LogSafe() {}

  /** An id, name or short value: escaped, and cut at {@value #MAX_CHARS} characters. */
  public static String escape(String value) {
    return escape(value, MAX_CHARS);
  }

  /** A whole message (a worker's log line): escaped, never cut. */
  public static String line(String value) {
    return escape(value, Integer.MAX_VALUE);
  }

  private static String escape(String value, int maxChars) {
    if (value == null) {
      return "null";
    }
    int length = Math.min(value.length(), maxChars);
    StringBuilder out = null;
    for (int i = 0; i < length; i++) {
      char c = value.charAt(i);
      boolean unsafe = c < 0x20 || c == 0x7f || c == '\u0085' || c == '\u2028' || c == '\u2029';
      if (unsafe && out == null) {
        out = new StringBuilder(length + 16).append(value, 0, i);
      }
      if (out != null) {
        if (!unsafe) {
          out.append(c);
        } else if (c == '\n') {
          out.append("\\n");
        } else if (c == '\r') {
          out.append("\\r");
        } else if (c == '\t') {
          out.append("\\t");
        } else {
          out.append(String.format("\\u%04x", (int) c));
        }
      }
    }
    String safe = out == null ? value.substring(0, length) : out.toString();
    return value.length() > maxChars ? safe + "…(" + value.length() + " chars)" : safe;
  }
}
