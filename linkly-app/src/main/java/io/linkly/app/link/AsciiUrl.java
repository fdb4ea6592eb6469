package io.linkly.app.link;

import java.net.IDN;
import java.nio.charset.StandardCharsets;

/**
 * The ASCII spelling of an http(s) URL, as a browser sends it: an internationalised host as
 * punycode, every other non-ASCII character percent-encoded as UTF-8. Existing escapes are kept,
 * so an already-ASCII URL comes back unchanged.
 */
final class AsciiUrl {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private AsciiUrl() {}

  /** {@code url} starts with {@code scheme://}; throws when the host is not a valid domain name. */
  static String of(String url) {
    int hostStart = url.indexOf("://") + 3;
    int authorityEnd = hostStart;
    while (authorityEnd < url.length() && "/?#".indexOf(url.charAt(authorityEnd)) < 0) {
      authorityEnd++;
    }
    int at = url.lastIndexOf('@', authorityEnd - 1);
    int hostFrom = at >= hostStart ? at + 1 : hostStart;
    int colon = url.lastIndexOf(':', authorityEnd - 1);
    int hostEnd = colon >= hostFrom && url.indexOf(']', colon) < 0 ? colon : authorityEnd;
    String host = url.substring(hostFrom, hostEnd);
    String asciiHost;
    try {
      asciiHost = isAscii(host) ? host : IDN.toASCII(host);
    } catch (IllegalArgumentException e) {
      throw new InvalidLinkException("\"url\" has a host that is not a valid domain name");
    }
    return percentEncode(url.substring(0, hostFrom)) + asciiHost + percentEncode(url.substring(hostEnd));
  }

  private static boolean isAscii(String text) {
    return text.chars().allMatch(c -> c < 0x80);
  }

  private static String percentEncode(String text) {
    if (isAscii(text)) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); ) {
      int codePoint = text.codePointAt(i);
      int next = i + Character.charCount(codePoint);
      if (codePoint < 0x80) {
        out.append((char) codePoint);
      } else {
        for (byte b : text.substring(i, next).getBytes(StandardCharsets.UTF_8)) {
          out.append('%').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
        }
      }
      i = next;
    }
    return out.toString();
  }
}
