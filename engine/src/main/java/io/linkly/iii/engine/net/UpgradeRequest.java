package io.linkly.iii.engine.net;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What an auth function learns of a worker's upgrade request (PROTOCOL.md §9.1): its headers
 * (lower-case names; a repeated header keeps its last value), its query parameters exactly as
 * sent (not URL-decoded, repeated names keep every value), and the peer's address.
 */
record UpgradeRequest(Map<String, String> headers, Map<String, List<String>> query, String ipAddress) {

  static UpgradeRequest of(Channel channel, HttpRequest request) {
    Map<String, String> headers = new LinkedHashMap<>();
    request.headers().forEach(h -> headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
    return new UpgradeRequest(headers, rawQuery(request.uri()), address(channel.remoteAddress()));
  }

  private static Map<String, List<String>> rawQuery(String uri) {
    Map<String, List<String>> query = new LinkedHashMap<>();
    int start = uri.indexOf('?');
    if (start < 0) {
      return query;
    }
    int end = uri.indexOf('#', start);
    for (String pair : uri.substring(start + 1, end < 0 ? uri.length() : end).split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      query.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }
    return query;
  }

  private static String address(SocketAddress remote) {
    return remote instanceof InetSocketAddress inet && inet.getAddress() != null
        ? inet.getAddress().getHostAddress()
        : String.valueOf(remote);
  }
}
