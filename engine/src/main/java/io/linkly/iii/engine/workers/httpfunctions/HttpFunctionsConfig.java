package io.linkly.iii.engine.workers.httpfunctions;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code iii-http-functions} config block (BUILTINS.md §1 {@code SecurityConfig}, §10), strict
 * like upstream's:
 *
 * <pre>
 * security:
 *   url_allowlist: ["*"]       # globs over the URL's host; empty means "*"
 *   block_private_ips: true    # loopback, private, link-local, … addresses are refused
 *   require_https: true
 * </pre>
 */
public record HttpFunctionsConfig(List<HostPattern> urlAllowlist, boolean blockPrivateIps, boolean requireHttps) {

  public HttpFunctionsConfig {
    urlAllowlist = urlAllowlist.isEmpty() ? List.of(HostPattern.ANY) : List.copyOf(urlAllowlist);
  }

  public static HttpFunctionsConfig defaults() {
    return new HttpFunctionsConfig(List.of(), true, true);
  }

  public static HttpFunctionsConfig fromConfig(WorkerEntry entry) throws ConfigException {
    return from(ConfigBlock.of(entry));
  }

  static HttpFunctionsConfig from(ConfigBlock block) throws ConfigException {
    block.onlyKeys(Set.of("security"));
    ConfigBlock security = block.child("security").onlyKeys(Set.of("url_allowlist", "block_private_ips", "require_https"));
    return new HttpFunctionsConfig(
        allowlist(security), security.bool("block_private_ips", true), security.bool("require_https", true));
  }

  private static List<HostPattern> allowlist(ConfigBlock security) throws ConfigException {
    String path = security.path() + ".url_allowlist";
    JsonNode list = security.node().get("url_allowlist");
    if (list == null || list.isNull()) {
      return List.of();
    }
    if (!list.isArray()) {
      throw new ConfigException(path + ": must be a list of host patterns, got " + list);
    }
    List<HostPattern> patterns = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      JsonNode item = list.get(i);
      if (!item.isTextual()) {
        throw new ConfigException(path + "[" + i + "]: must be a string, got " + item);
      }
      try {
        patterns.add(HostPattern.compile(item.textValue()));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(path + "[" + i + "]: not a valid pattern '" + item.textValue() + "': " + e.getMessage());
      }
    }
    return patterns;
  }
}
