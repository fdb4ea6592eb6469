package io.linkly.iii.engine.channels;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * Random version-4 UUID strings for channel ids and access keys, as upstream makes them. The key
 * is what guards a channel, so it comes from a DRBG seeded by the system; the id only
 * names it, so it comes from a fast generator. ({@link UUID#randomUUID()} shares one generator
 * that, on Linux, reads {@code /dev/urandom} under a lock on every call; iii-http makes two
 * channels per request.)
 */
final class RandomIds {

  /**
   * One generator for the engine, not one per thread: callers include virtual threads that live
   * for one call, and each would seed a generator of its own. A DRBG is safe to share.
   */
  private static final SecureRandom KEYS = generator();

  private RandomIds() {}

  /** An unguessable key. */
  static String key() {
    byte[] bytes = new byte[16];
    KEYS.nextBytes(bytes);
    return uuid(bytes);
  }

  /** A unique name, not a secret. */
  static String id() {
    byte[] bytes = new byte[16];
    java.util.concurrent.ThreadLocalRandom.current().nextBytes(bytes);
    return uuid(bytes);
  }

  private static String uuid(byte[] bytes) {
    bytes[6] = (byte) ((bytes[6] & 0x0f) | 0x40); // version 4
    bytes[8] = (byte) ((bytes[8] & 0x3f) | 0x80); // IETF variant
    long high = 0;
    long low = 0;
    for (int i = 0; i < 8; i++) {
      high = (high << 8) | (bytes[i] & 0xff);
      low = (low << 8) | (bytes[i + 8] & 0xff);
    }
    return new UUID(high, low).toString();
  }

  private static SecureRandom generator() {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (NoSuchAlgorithmException e) {
      return new SecureRandom();
    }
  }
}
