package io.linkly.iii.engine.workers.httpfunctions;

import io.linkly.iii.engine.core.InvocationException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which URLs an HTTP function may call (BUILTINS.md §10), checked at registration and again before
 * every call, since what a name resolves to can change. The checks run in upstream's order and fail
 * with its code and messages: {@code url_validation_failed}, "Invalid URL", "HTTPS is required",
 * "URL not in allowlist", "Private IP blocked", "DNS lookup failed".
 *
 * <p>A name is resolved only when private addresses are blocked and the host is not an address
 * already; that lookup blocks, so callers run it off the event loop ({@link #needsLookup}).
 */
final class UrlPolicy {

  static final String URL_VALIDATION_FAILED = "url_validation_failed";

  private static final Pattern IPV4_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private final List<HostPattern> allowlist;
  private final boolean blockPrivateIps;
  private final boolean requireHttps;

  UrlPolicy(HttpFunctionsConfig config) {
    this.allowlist = config.urlAllowlist();
    this.blockPrivateIps = config.blockPrivateIps();
    this.requireHttps = config.requireHttps();
  }

  /** True when {@link #check} would look a name up (and so may block). */
  boolean needsLookup(String url) {
    if (!blockPrivateIps) {
      return false;
    }
    try {
      String host = host(parse(url));
      return !isAddressLiteral(host);
    } catch (InvocationException e) {
      return false; // refused without a lookup
    }
  }

  /** The URL to call, once it passes every check. */
  URI check(String url) {
    URI uri = parse(url);
    if (requireHttps && !"https".equalsIgnoreCase(uri.getScheme())) {
      throw refused("HTTPS is required");
    }
    String host = host(uri);
    if (allowlist.stream().noneMatch(p -> p.matches(host))) {
      throw refused("URL not in allowlist");
    }
    if (blockPrivateIps && resolvesToPrivate(host)) {
      throw refused("Private IP blocked");
    }
    return uri;
  }

  private static URI parse(String url) {
    try {
      URI uri = new URI(url);
      if (!uri.isAbsolute() || uri.getHost() == null) {
        throw refused("Invalid URL");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw refused("Invalid URL");
    }
  }

  /** As upstream's URL parser gives it: lower case, an IPv6 address in brackets. */
  private static String host(URI uri) {
    return uri.getHost().toLowerCase(Locale.ROOT);
  }

  private static boolean isAddressLiteral(String host) {
    return host.startsWith("[") || IPV4_LITERAL.matcher(host).matches();
  }

  private static boolean resolvesToPrivate(String host) {
    String name = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(name); // no lookup for an address literal
    } catch (UnknownHostException | SecurityException e) {
      throw refused("DNS lookup failed");
    }
    for (InetAddress address : addresses) {
      if (PrivateAddresses.isPrivate(address)) {
        return true;
      }
    }
    return false;
  }

  private static InvocationException refused(String reason) {
    return new InvocationException(URL_VALIDATION_FAILED, reason);
  }
}
