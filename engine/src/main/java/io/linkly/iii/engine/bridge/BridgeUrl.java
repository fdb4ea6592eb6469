package io.linkly.iii.engine.bridge;

import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

/**
 * The config block of a {@code bridge} adapter ({@code iii-state}, {@code iii-stream}): one key,
 * {@code bridge_url}, the worker socket of the engine that keeps the data. Upstream falls back to
 * {@code ws://localhost:49134} when it is missing; here it is required, because an engine that
 * silently bridges to whatever listens on the default port (often itself) loses data in a way
 * nobody notices.
 */
public final class BridgeUrl {

  public static final String KEY = "bridge_url";

  private BridgeUrl() {}

  /** Reads {@code bridge_url} from the adapter's {@code config} block: a ws:// or wss:// URL with a host. */
  public static URI read(ConfigBlock config) throws ConfigException {
    config.onlyKeys(Set.of(KEY));
    String where = config.path() + "." + KEY;
    String text = config.string(KEY, null);
    if (text == null || text.isBlank()) {
      throw new ConfigException(
          where + ": required: the worker URL of the engine that keeps the data, such as ws://127.0.0.1:49134");
    }
    URI url;
    try {
      url = new URI(text.trim());
    } catch (URISyntaxException e) {
      throw new ConfigException(where + ": not a URL (" + e.getMessage() + ")");
    }
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("ws") && !scheme.equals("wss")) {
      throw new ConfigException(where + ": must be a ws:// or wss:// URL, got '" + text + "'");
    }
    if (url.getHost() == null) {
      throw new ConfigException(where + ": names no host: '" + text + "'");
    }
    return url;
  }
}
