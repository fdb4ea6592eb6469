package io.linkly.app.visit;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * IP addresses written as digits (IPv4 dotted quads, IPv6 in any of its forms), read without ever
 * looking a name up: {@link InetAddress#getByName} resolves anything that is not a literal.
 */
public final class IpLiteral {

  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  private IpLiteral() {}

  /** The address's bytes (4 or 16), or null when {@code text} is not an IP literal. */
  public static byte[] bytes(String text) {
    if (text == null || !(IPV4.matcher(text).matches() || IPV6.matcher(text).matches())) {
      return null;
    }
    try {
      return InetAddress.getByName(text).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** True for a loopback address (127.0.0.0/8, ::1) written as digits. */
  public static boolean isLoopback(String text) {
    byte[] bytes = bytes(text);
    try {
      return bytes != null && InetAddress.getByAddress(bytes).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
