package io.linkly.app.visit;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import ua_parser.Client;
import ua_parser.Parser;

/**
 * Reads a user agent with uap-java (the ua-parser project's regexes): the browser and OS families
 * as it names them, a device type, and the crawler flag, which is uap's {@code Spider} device
 * (search engines, link-preview fetchers of chat apps and social sites, archivers, monitors).
 * Command-line clients such as curl count as people: the tutorial clicks with curl.
 *
 * <p>uap tries a few hundred regexes per user agent, a fraction of a millisecond, while real
 * traffic repeats a small set of user agents: answers are kept in a map that is emptied when it
 * holds {@link #CACHE_SIZE} of them (cheaper than keeping an LRU order on every hit).
 */
public final class UserAgents {

  /** The parts of a visit the user agent tells. */
  public record Agent(String browser, String os, String device, boolean bot) {}

  static final int CACHE_SIZE = 10_000;
  /** Longer user agents are cut here before parsing and caching: no browser sends more. */
  public static final int MAX_LENGTH = 512;

  private static final Agent NONE = new Agent("Other", "Other", "other", false);
  private static final Set<String> MOBILE_OS = Set.of("ios", "android", "windows phone", "blackberry os", "kaios", "symbian os", "firefox os", "tizen");
  private static final Set<String> DESKTOP_OS =
      Set.of("windows", "mac os x", "linux", "ubuntu", "fedora", "debian", "chrome os", "chromeos", "freebsd", "openbsd", "netbsd", "red hat", "suse", "mint");

  private final Parser parser = new Parser(); // thread-safe: it only reads its patterns
  private final ConcurrentHashMap<String, Agent> cache = new ConcurrentHashMap<>();

  /** What {@code userAgent} says; a missing one reads as {@code Other}, not as a crawler. */
  public Agent parse(String userAgent) {
    if (userAgent == null || userAgent.isBlank()) {
      return NONE;
    }
    String ua = userAgent.length() > MAX_LENGTH ? userAgent.substring(0, MAX_LENGTH) : userAgent;
    Agent known = cache.get(ua);
    if (known != null) {
      return known;
    }
    Agent agent = read(ua);
    if (cache.size() >= CACHE_SIZE) {
      cache.clear();
    }
    cache.put(ua, agent);
    return agent;
  }

  private Agent read(String ua) {
    Client client = parser.parse(ua);
    String device = client.device == null ? "Other" : client.device.family;
    String browser = client.userAgent == null ? "Other" : client.userAgent.family;
    String os = client.os == null ? "Other" : client.os.family;
    boolean bot = "Spider".equals(device);
    return new Agent(browser, os, bot ? "bot" : deviceType(ua, device, os), bot);
  }

  /**
   * uap names a device model ("iPhone", "Samsung SM-T970", "Other" for a PC), not its kind: the kind
   * follows from the model for tablets, else from the operating system, and an Android browser
   * without "Mobile" in its user agent is a tablet (Google's convention for Android browsers).
   */
  static String deviceType(String ua, String device, String os) {
    String model = device.toLowerCase(Locale.ROOT);
    String system = os.toLowerCase(Locale.ROOT);
    if (model.contains("ipad") || model.contains("tablet") || model.contains("kindle") || model.contains("sm-t")) {
      return "tablet";
    }
    if (system.equals("android")) {
      return ua.contains("Mobile") ? "mobile" : "tablet";
    }
    if (MOBILE_OS.contains(system) || model.equals("iphone") || model.contains("smartphone") || model.contains("feature phone")) {
      return "mobile";
    }
    if (DESKTOP_OS.contains(system) || model.equals("mac")) {
      return "desktop";
    }
    return "other";
  }
}
