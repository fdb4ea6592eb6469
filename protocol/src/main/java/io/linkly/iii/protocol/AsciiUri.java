package io.linkly.iii.protocol;

import java.net.IDN;
import java.nio.charset.StandardCharsets;

/**
 * The ASCII spelling of a URI reference, as a browser sends it: an internationalised host as
 * punycode, every other non-ASCII character percent-encoded as UTF-8. Existing escapes are kept,
 * so an ASCII URI comes back unchanged. Shared by the engine (a {@code Location} header must be
 * ASCII) and by Linkly (which stores the ASCII spelling of a link).
 */
public final class AsciiUri {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private AsciiUri() {}

  /**
   * The ASCII spelling of {@code uri}. A host that is not a valid internationalised domain name
   * is percent-encoded when {@code strictHost} is false, and refused with an
   * {@link IllegalArgumentException} when it is true.
   */
  public static String of(String uri, boolean strictHost) {
    int scheme = uri.indexOf("://");
    if (scheme < 0 || !isAscii(uri.substring(0, scheme))) {
      return percentEncode(uri);
    }
    int authorityStart = scheme + 3;
    int authorityEnd = authorityStart;
    while (authorityEnd < uri.length() && "/?#".indexOf(uri.charAt(authorityEnd)) < 0) {
      authorityEnd++;
    }
    int at = uri.lastIndexOf('@', authorityEnd - 1);
    int hostStart = at >= authorityStart ? at + 1 : authorityStart;
    int colon = uri.lastIndexOf(':', authorityEnd - 1);
    int hostEnd = colon >= hostStart && uri.indexOf(']', colon) < 0 ? colon : authorityEnd;
    String host = uri.substring(hostStart, hostEnd);
    String asciiHost;
    try {
      asciiHost = isAscii(host) ? host : IDN.toASCII(host, strictHost ? 0 : IDN.ALLOW_UNASSIGNED);
    } catch (IllegalArgumentException notADomainName) {
      if (strictHost) {
        throw notADomainName;
      }
      asciiHost = percentEncode(host);
    }
    return percentEncode(uri.substring(0, hostStart)) + asciiHost + percentEncode(uri.substring(hostEnd));
  }

  public static boolean isAscii(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
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
