package io.linkly.app.link;

import io.linkly.iii.protocol.AsciiUri;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where a short link may point: an absolute http(s) URL with a host. The tutorial only prefixes
 * {@code https://} when the scheme is missing; we keep that convenience but refuse everything a
 * browser must never be redirected to ({@code javascript:}, {@code data:}, other schemes), URLs
 * that disguise their host ({@code https://google.com@evil.com/} goes to evil.com), ports no
 * server can listen on, and text that is not a URL at all.
 *
 * <p>The URL is stored in its ASCII spelling ({@link AsciiUri}): it goes into a {@code Location}
 * header, which carries bytes, so this is the one form every redirect can send unchanged, and
 * {@code POST /links} shows the client the URL that visitors will really be sent to. (iii-http
 * also encodes a non-ASCII Location on its own, for links stored before this and for other
 * workers; here it is done once, at creation, instead of on every click.)
 */
public final class LinkTarget {

  private static final Pattern HTTP_SCHEME = Pattern.compile("^https?://", Pattern.CASE_INSENSITIVE);
  private static final Pattern ANY_SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");
  private static final int MAX_LENGTH = 2048;

  private LinkTarget() {}

  /** The normalised URL, or an {@link InvalidLinkException} saying what is wrong. */
  public static String normalise(String raw) {
    if (raw == null || raw.isBlank()) {
      throw new InvalidLinkException("\"url\" must be a non-empty string");
    }
    String url = raw.strip();
    if (url.length() > MAX_LENGTH) {
      throw new InvalidLinkException("\"url\" is longer than " + MAX_LENGTH + " characters");
    }
    for (int i = 0; i < url.length(); i++) {
      char c = url.charAt(i);
      if (c <= 0x20 || c == 0x7f) {
        throw new InvalidLinkException("\"url\" must not contain spaces or control characters");
      }
    }
    if (!HTTP_SCHEME.matcher(url).find()) {
      if (ANY_SCHEME.matcher(url).find() && !looksLikeHostAndPort(url)) {
        String scheme = url.substring(0, url.indexOf(':')).toLowerCase(Locale.ROOT);
        throw new InvalidLinkException("\"url\" must use http or https, not " + scheme + ":");
      }
      url = "https://" + url;
    }
    String afterScheme = url.substring(url.indexOf("://") + 3);
    if (afterScheme.isEmpty() || "/?#".indexOf(afterScheme.charAt(0)) >= 0) {
      throw new InvalidLinkException("\"url\" must name a host");
    }
    try {
      url = AsciiUri.of(url, true);
    } catch (IllegalArgumentException e) {
      throw new InvalidLinkException("\"url\" has a host that is not a valid domain name");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new InvalidLinkException("\"url\" is not a valid URL: " + e.getReason());
    }
    String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
    if (authority.contains("@")) {
      // not echoed: it may be a password
      throw new InvalidLinkException("\"url\" must not contain user info (a name before @): browsers show it as if it were the host");
    }
    checkPort(authority);
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new InvalidLinkException("\"url\" must name a host");
    }
    return url;
  }

  /** A port, when there is one, must be 1–65535; {@link URI} accepts any digits. */
  private static void checkPort(String authority) {
    int hostEnd = authority.startsWith("[") ? authority.indexOf(']') + 1 : 0;
    int colon = authority.indexOf(':', Math.max(hostEnd, 0));
    if (colon < 0 || colon == authority.length() - 1) {
      return; // no port, or an empty one, which means the default
    }
    String port = authority.substring(colon + 1);
    boolean digits = !port.isEmpty() && port.length() <= 5 && port.chars().allMatch(c -> c >= '0' && c <= '9');
    if (!digits || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
      throw new InvalidLinkException("\"url\" has an invalid port " + port + " (must be 1 to 65535)");
    }
  }

  /** {@code example.com:8080/x} parses as scheme "example.com"; it is a host with a port. */
  private static boolean looksLikeHostAndPort(String url) {
    int colon = url.indexOf(':');
    int end = colon + 1;
    while (end < url.length() && Character.isDigit(url.charAt(end))) {
      end++;
    }
    return end > colon + 1 && (end == url.length() || url.charAt(end) == '/') && url.substring(0, colon).contains(".");
  }
}
