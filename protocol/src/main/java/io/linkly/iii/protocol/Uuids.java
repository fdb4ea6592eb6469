package io.linkly.iii.protocol;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** UUID helpers that match what the upstream engine accepts and emits. */
public final class Uuids {

  private Uuids() {}

  /**
   * Parses the canonical 8-4-4-4-12 hex form only. {@link UUID#fromString} also accepts shortened
   * groups such as {@code 1-1-1-1-1}, which upstream rejects.
   */
  public static UUID parseStrict(String text) {
    if (text == null || text.length() != 36) {
      return null;
    }
    for (int i = 0; i < 36; i++) {
      char c = text.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? c != '-' : Character.digit(c, 16) < 0) {
        return null;
      }
    }
    return UUID.fromString(text);
  }

  /**
   * A random version-4 UUID from a thread-local generator. Ids here are correlation handles, not
   * secrets, so the contended SecureRandom behind {@link UUID#randomUUID()} is not needed.
   */
  public static UUID fast() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
    long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb);
  }

  /**
   * A version-7 UUID (RFC 9562): the Unix time in milliseconds, then random bits. Keys made this
   * way sort by creation time, so a database index over them grows at its end instead of at random
   * pages (far fewer pages rewritten per insert); they are as unique as {@link #fast()}'s.
   */
  public static UUID timeOrdered(long epochMillis) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long msb = (epochMillis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
    long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb);
  }
}
