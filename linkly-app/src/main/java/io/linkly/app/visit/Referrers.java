package io.linkly.app.visit;

import java.util.Locale;

/**
 * The host of a {@code Referer} header, which is all a click keeps of it: the path and query of
 * the page a visitor came from may hold anything about them. Null for no header, and for one that
 * is not an absolute http(s) URL with a plausible host.
 */
public final class Referrers {

  private static final int MAX_HOST = 253;

  private Referrers() {}

  public static String host(String referer) {
    if (referer == null) {
      return null;
    }
    int scheme = referer.indexOf("://");
    if (scheme <= 0) {
      return null;
    }
    String prefix = referer.substring(0, scheme).toLowerCase(Locale.ROOT);
    if (!prefix.equals("http") && !prefix.equals("https")) {
      return null;
    }
    int start = scheme + 3;
    int end = start;
    while (end < referer.length() && "/?#".indexOf(referer.charAt(end)) < 0) {
      end++;
    }
    String authority = referer.substring(start, end);
    authority = authority.substring(authority.lastIndexOf('@') + 1); // never keep user:password
    String host = authority.startsWith("[") ? authority.substring(0, authority.indexOf(']') + 1) : stripPort(authority);
    host = host.toLowerCase(Locale.ROOT);
    if (host.isEmpty() || host.length() > MAX_HOST || host.equals("[")) {
      return null;
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      boolean allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '[' || c == ']' || c == ':' || c == '_';
      if (!allowed) {
        return null;
      }
    }
    return host;
  }

  private static String stripPort(String authority) {
    int colon = authority.lastIndexOf(':');
    return colon < 0 ? authority : authority.substring(0, colon);
  }
}
