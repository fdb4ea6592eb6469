package io.linkly.app.visit;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A client address with its host part zeroed before it is stored anywhere (the click queue
 * included): an IPv4 address keeps its first three bytes ({@code 203.0.113.7} → {@code
 * 203.0.113.0}), an IPv6 address its first 48 bits, the part that names a site rather than a
 * machine. Enough to tell networks apart, not people.
 */
public final class AnonymisedIp {

  private AnonymisedIp() {}

  /** The anonymised form of an IP literal; null for null or for text that is not an IP literal. */
  public static String of(String ip) {
    if (ip == null || ip.isEmpty() || ip.length() > 64) {
      return null;
    }
    if (ip.indexOf(':') < 0) {
      return ipv4(ip);
    }
    return ipv6(ip);
  }

  private static String ipv4(String ip) {
    String[] parts = ip.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    for (int i = 0; i < 3; i++) {
      if (!isByte(parts[i])) {
        return null;
      }
    }
    return isByte(parts[3]) ? parts[0] + "." + parts[1] + "." + parts[2] + ".0" : null;
  }

  private static boolean isByte(String part) {
    if (part.isEmpty() || part.length() > 3) {
      return false;
    }
    for (int i = 0; i < part.length(); i++) {
      if (part.charAt(i) < '0' || part.charAt(i) > '9') {
        return false;
      }
    }
    return Integer.parseInt(part) <= 255;
  }

  private static String ipv6(String ip) {
    byte[] bytes = IpLiteral.bytes(ip);
    if (bytes == null) {
      return null;
    }
    try {
      if (bytes.length == 4) { // an IPv4-mapped address comes back as IPv4
        return ipv4(InetAddress.getByAddress(bytes).getHostAddress());
      }
      for (int i = 6; i < bytes.length; i++) {
        bytes[i] = 0;
      }
      return InetAddress.getByAddress(bytes).getHostAddress().replaceFirst("(:0)+$", "::");
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
