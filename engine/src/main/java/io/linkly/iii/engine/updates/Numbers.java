package io.linkly.iii.engine.updates;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigInteger;

/**
 * Upstream's numeric rules for increment/decrement: signed 64-bit arithmetic, an overflow promoted
 * to an exact unsigned 64-bit value when it fits, floating point for non-integers. A result that
 * fits none of these (for example below the signed minimum) is "not a number" to the caller, as
 * upstream reports it.
 */
final class Numbers {

  private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Numbers() {}

  /** {@code value + by}, or null when {@code value} is not a number or the sum is unrepresentable. */
  static JsonNode add(JsonNode value, long by) {
    return combine(value, by, true);
  }

  /** {@code value - by}, or null when {@code value} is not a number or the difference is unrepresentable. */
  static JsonNode subtract(JsonNode value, long by) {
    return combine(value, by, false);
  }

  /** What a missing field becomes on {@code decrement by}: {@code -by}, exact even for the signed minimum. */
  static JsonNode negated(long by) {
    if (by == Long.MIN_VALUE) {
      return NODES.numberNode(BigInteger.valueOf(by).negate());
    }
    return integer(-by);
  }

  /** The node the JSON parser would produce for this integer, so results compare equal to parsed values. */
  static JsonNode integer(long n) {
    return n == (int) n ? NODES.numberNode((int) n) : NODES.numberNode(n);
  }

  private static JsonNode combine(JsonNode value, long by, boolean add) {
    if (value == null || !value.isNumber()) {
      return null;
    }
    if (isSigned64(value)) {
      long n = value.longValue();
      try {
        return integer(add ? Math.addExact(n, by) : Math.subtractExact(n, by));
      } catch (ArithmeticException overflow) {
        // falls through to the unsigned rule, which only helps non-negative values
      }
    }
    if (isUnsigned64(value)) {
      BigInteger n = value.bigIntegerValue();
      BigInteger result = add ? n.add(BigInteger.valueOf(by)) : n.subtract(BigInteger.valueOf(by));
      if (result.signum() < 0 || result.compareTo(U64_MAX) > 0) {
        return null;
      }
      return result.bitLength() < 64 ? integer(result.longValue()) : NODES.numberNode(result);
    }
    if (isFloat(value)) {
      double d = add ? value.doubleValue() + (double) by : value.doubleValue() - (double) by;
      return Double.isFinite(d) ? NODES.numberNode(d) : null;
    }
    return null;
  }

  private static boolean isSigned64(JsonNode value) {
    return value.isIntegralNumber() && value.canConvertToLong();
  }

  private static boolean isUnsigned64(JsonNode value) {
    if (!value.isIntegralNumber()) {
      return false;
    }
    BigInteger n = value.bigIntegerValue();
    return n.signum() >= 0 && n.compareTo(U64_MAX) <= 0;
  }

  /** Non-integers, and integers beyond 64 bits (which upstream's JSON parser reads as floats). */
  private static boolean isFloat(JsonNode value) {
    return value.isFloatingPointNumber() || (value.isIntegralNumber() && !isSigned64(value) && !isUnsigned64(value));
  }
}
