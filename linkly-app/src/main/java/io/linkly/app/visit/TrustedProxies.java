package io.linkly.app.visit;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.ConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * Who sent a request when Linkly stands behind proxies ({@code LINKLY_TRUSTED_PROXIES}: addresses
 * or CIDR ranges, comma-separated, e.g. {@code 10.0.0.0/8, 127.0.0.1}). A request from a trusted
 * proxy comes from the nearest address in its {@code X-Forwarded-For} that is not itself a trusted
 * proxy; any other request comes from its peer, and its header is ignored, since any client can
 * write one. Without trusted proxies, behind a load balancer every visitor would have the
 * balancer's address: one creation limit for everybody, one anonymised address for every click.
 */
public final class TrustedProxies {

  public static final String VARIABLE = "LINKLY_TRUSTED_PROXIES";
  public static final TrustedProxies NONE = new TrustedProxies(List.of());

  /** One trusted range: an address and how many of its leading bits must match. */
  private record Range(byte[] network, int bits) {
    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int whole = bits / 8;
      for (int i = 0; i < whole; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = bits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (address[whole] & mask) == (network[whole] & mask);
    }
  }

  private final List<Range> ranges;

  private TrustedProxies(List<Range> ranges) {
    this.ranges = ranges;
  }

  /** @throws ConfigException naming the variable and the entry that is not an address or range */
  public static TrustedProxies parse(String spec) throws ConfigException {
    if (spec == null || spec.isBlank()) {
      return NONE;
    }
    List<Range> ranges = new ArrayList<>();
    for (String entry : spec.split(",")) {
      String text = entry.strip();
      if (text.isEmpty()) {
        continue;
      }
      int slash = text.indexOf('/');
      byte[] address = IpLiteral.bytes(slash < 0 ? text : text.substring(0, slash));
      int bits = address == null ? -1 : address.length * 8;
      if (address != null && slash >= 0) {
        String prefix = text.substring(slash + 1);
        bits = prefix.matches("[0-9]{1,3}") ? Integer.parseInt(prefix) : -1;
      }
      if (address == null || bits < 0 || bits > address.length * 8) {
        throw new ConfigException(VARIABLE + ": '" + text + "' is not an IP address or a CIDR range such as 10.0.0.0/8");
      }
      ranges.add(new Range(address, bits));
    }
    return new TrustedProxies(List.copyOf(ranges));
  }

  /** The client of an iii-http request object ({@code remote_addr}, {@code headers.x-forwarded-for}). */
  public String client(JsonNode request) {
    return client(request.path("remote_addr").textValue(), request.path("headers").path("x-forwarded-for").textValue());
  }

  /** The client's address: {@code remoteAddr}, or what a trusted proxy says it forwarded for. */
  public String client(String remoteAddr, String forwardedFor) {
    if (ranges.isEmpty() || !trusted(IpLiteral.bytes(remoteAddr)) || forwardedFor == null || forwardedFor.isBlank()) {
      return remoteAddr;
    }
    String[] hops = forwardedFor.split(",");
    String farthest = remoteAddr;
    for (int i = hops.length - 1; i >= 0; i--) { // the last hop was added by the nearest proxy
      String hop = hops[i].strip();
      byte[] address = IpLiteral.bytes(hop);
      if (address == null) {
        return farthest; // not an address: nothing before it can be believed
      }
      if (!trusted(address)) {
        return hop;
      }
      farthest = hop;
    }
    return farthest;
  }

  private boolean trusted(byte[] address) {
    if (address == null) {
      return false;
    }
    for (Range range : ranges) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }
}
