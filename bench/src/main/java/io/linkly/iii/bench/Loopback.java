package io.linkly.iii.bench;

import java.net.InetAddress;
import java.net.URI;

/** Benchmarks send load to this machine only; anything else is refused before a byte is sent. */
final class Loopback {

  private Loopback() {}

  static String require(String url) {
    String host = URI.create(url).getHost();
    try {
      if (!InetAddress.getByName(host).isLoopbackAddress()) {
        throw new IllegalArgumentException("refusing non-loopback target " + url);
      }
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("unknown host in " + url, e);
    }
    return url;
  }
}
