package io.linkly.iii.engine.workers.http;

import io.linkly.iii.protocol.AsciiUri;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What a handler's header value becomes on the wire. Header values are bytes; Netty writes each
 * char of a Java string as one byte, so a non-ASCII value went out as raw Latin-1 or {@code ?}.
 * A URI header ({@code Location}, {@code Content-Location}) has an ASCII spelling that means the
 * same, so non-ASCII in it is written the way a browser would send that URL: the host as
 * punycode, everything else percent-encoded as UTF-8. The engine does this for every handler,
 * because any worker (an upstream TypeScript one, or a link stored before its worker normalised
 * URLs) may hand it a non-ASCII Location. Any other header has no ASCII spelling; its value goes
 * out as UTF-8 bytes (RFC 9110 lets a recipient carry them as opaque octets),
 * never as Latin-1 or {@code ?}.
 */
final class HeaderValues {

  private HeaderValues() {}

  /**
   * The value to send, or null to leave the header out. The result's chars are bytes (all below
   * 0x100), which is how Netty writes them.
   */
  static String onTheWire(String name, String value) {
    boolean ascii = true;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        return null; // CR, LF and other controls would split or corrupt the header block
      }
      ascii &= c < 0x80;
    }
    if (ascii) {
      return value;
    }
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.equals("location") || lower.equals("content-location")) {
      return AsciiUri.of(value, false);
    }
    return new String(value.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }
}
