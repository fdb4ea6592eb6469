package io.linkly.iii.engine.workers.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict percent-decoding of one path segment: every {@code %} must start two hex digits and the
 * bytes must be UTF-8. Lenient decoders guess (keep {@code %zz}, substitute U+FFFD), so two
 * components could read one path differently; a malformed path is the client's error (400).
 */
final class PercentDecoding {

  private PercentDecoding() {}

  /** The decoded text; {@code +} stays {@code +}, as it does in a path. */
  static String decode(String text) throws MalformedEscapeException {
    int first = text.indexOf('%');
    if (first < 0) {
      return text;
    }
    ByteBuffer bytes = ByteBuffer.allocate(text.length() * 3);
    bytes.put(text.substring(0, first).getBytes(StandardCharsets.UTF_8));
    for (int i = first; i < text.length(); ) {
      char c = text.charAt(i);
      if (c != '%') {
        int end = c >= Character.MIN_HIGH_SURROGATE && c <= Character.MAX_LOW_SURROGATE && i + 1 < text.length() ? i + 2 : i + 1;
        bytes.put(text.substring(i, end).getBytes(StandardCharsets.UTF_8));
        i = end;
        continue;
      }
      int high = i + 2 < text.length() ? Character.digit(text.charAt(i + 1), 16) : -1;
      int low = high < 0 ? -1 : Character.digit(text.charAt(i + 2), 16);
      if (low < 0) {
        throw new MalformedEscapeException("a percent-escape must be % and two hex digits");
      }
      bytes.put((byte) (high * 16 + low));
      i += 3;
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes.flip())
          .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedEscapeException("percent-escapes must encode UTF-8");
    }
  }

  static final class MalformedEscapeException extends Exception {
    MalformedEscapeException(String message) {
      super(message, null, false, false);
    }
  }
}
