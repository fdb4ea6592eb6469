package io.linkly.iii.engine.workers.httpfunctions;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The addresses {@code block_private_ips} keeps HTTP functions away from, exactly upstream's set:
 * IPv4 loopback, RFC 1918, link-local (the cloud metadata address among them), broadcast,
 * documentation and unspecified; IPv6 loopback, unique-local, link-local, unspecified and
 * multicast. An IPv4-mapped IPv6 address routes to its IPv4 address and is judged as that (Java
 * already hands it over as an {@link Inet4Address}; the check below covers any that slips by).
 */
final class PrivateAddresses {

  private PrivateAddresses() {}

  static boolean isPrivate(InetAddress address) {
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      return isPrivateV4(b);
    }
    if (address instanceof Inet6Address) {
      if (isV4Mapped(b)) {
        return isPrivateV4(new byte[] {b[12], b[13], b[14], b[15]});
      }
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      return address.isLoopbackAddress()
          || address.isAnyLocalAddress()
          || (first & 0xfe) == 0xfc // fc00::/7, unique local
          || (first == 0xfe && (second & 0xc0) == 0x80) // fe80::/10, link-local
          || first == 0xff; // ff00::/8, multicast
    }
    return false;
  }

  private static boolean isPrivateV4(byte[] b) {
    int a0 = b[0] & 0xff;
    int a1 = b[1] & 0xff;
    int a2 = b[2] & 0xff;
    int a3 = b[3] & 0xff;
    return a0 == 127 // loopback
        || a0 == 10 // RFC 1918
        || (a0 == 172 && (a1 & 0xf0) == 16)
        || (a0 == 192 && a1 == 168)
        || (a0 == 169 && a1 == 254) // link-local
        || (a0 == 255 && a1 == 255 && a2 == 255 && a3 == 255) // broadcast
        || (a0 == 192 && a1 == 0 && a2 == 2) // documentation: TEST-NET-1, -2, -3
        || (a0 == 198 && a1 == 51 && a2 == 100)
        || (a0 == 203 && a1 == 0 && a2 == 113)
        || (a0 == 0 && a1 == 0 && a2 == 0 && a3 == 0); // unspecified
  }

  private static boolean isV4Mapped(byte[] b) {
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
  }
}
