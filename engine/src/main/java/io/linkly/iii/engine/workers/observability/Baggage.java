package io.linkly.iii.engine.workers.observability;

/** The entries of a W3C {@code baggage} header that the logs read (the call's function id). */
final class Baggage {

  private Baggage() {}

  /** The value of {@code key} in a W3C baggage header, percent-decoded; null when absent. */
  static String entry(String baggage, String key) {
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
}
