package io.linkly.app.visit;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * IP addresses written as digits (IPv4 dotted quads, IPv6 in any of its forms, an IPv6 zone
 * dropped), read without ever looking a name up: {@link InetAddress#getByName} resolves anything it
 * cannot parse as a literal, {@code 999.1.1.1} included, so only well-formed text reaches it.
 */
public final class IpLiteral {

  private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  private IpLiteral() {}

  /** The address's bytes (4, or 16; an IPv4-mapped IPv6 address gives 4), or null when {@code text} is not an IP literal. */
  public static byte[] bytes(String text) {
    if (text == null) {
      return null;
    }
    int zone = text.indexOf('%'); // fe80::1%eth0: the interface is not part of the address
    String address = zone < 0 ? text : text.substring(0, zone);
    if (!(IPV4.matcher(address).matches() || IPV6.matcher(address).matches())) {
      return null;
    }
    try {
      return InetAddress.getByName(address).getAddress(); // an IPv6 literal that does not parse fails without a lookup
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
