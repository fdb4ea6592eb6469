package io.linkly.iii.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Finds the send time embedded in a message: the integer after {@code "bench_ns":}. A
 * Boyer-Moore-Horspool scan over the raw bytes, so a delivery costs a few dozen byte compares and
 * no parsing; both the iii and the Redis subscribers use it, so they pay the same per message.
 */
final class Stamp {

  /** The key the writer puts in every item's data; the number after it is a nanoTime. */
  static final String KEY = "bench_ns";

  /** No stamp in the message. */
  static final long NONE = Long.MIN_VALUE;

  private static final byte[] NEEDLE = ("\"" + KEY + "\":").getBytes(StandardCharsets.US_ASCII);
  private static final int[] SHIFT = new int[256];

  static {
    Arrays.fill(SHIFT, NEEDLE.length);
    for (int i = 0; i < NEEDLE.length - 1; i++) {
      SHIFT[NEEDLE[i] & 0xff] = NEEDLE.length - 1 - i;
    }
  }

  private Stamp() {}

  /** The stamp in {@code bytes[from, to)}, or {@link #NONE}. */
  static long find(byte[] bytes, int from, int to) {
    int n = NEEDLE.length;
    int i = from;
    while (i <= to - n) {
      byte last = bytes[i + n - 1];
      if (last == NEEDLE[n - 1] && matches(bytes, i)) {
        return number(bytes, i + n, to);
      }
      i += SHIFT[last & 0xff];
    }
    return NONE;
  }

  private static boolean matches(byte[] bytes, int at) {
    for (int j = NEEDLE.length - 2; j >= 0; j--) {
      if (bytes[at + j] != NEEDLE[j]) {
        return false;
      }
    }
    return true;
  }

  private static long number(byte[] bytes, int k, int to) {
    boolean negative = k < to && bytes[k] == '-';
    if (negative) {
      k++;
    }
    long value = 0;
    int digits = 0;
    for (; k < to && bytes[k] >= '0' && bytes[k] <= '9'; k++) {
      value = value * 10 + (bytes[k] - '0');
      digits++;
    }
    return digits == 0 ? NONE : negative ? -value : value;
  }
}
