package io.linkly.iii.engine.redis;

import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.LinkedHashSet;
import java.util.Set;

/** Finding an adapter's keys by their prefix, as upstream's adapters name them. */
public final class RedisKeys {

  private static final int SCAN_COUNT = 1000;

  private RedisKeys() {}

  /**
   * The rest of every hash key that starts with {@code prefix}, each once. SCAN walks the keyspace
   * a page at a time, where KEYS would hold Redis up for every other client until it had seen all.
   */
  public static Set<String> hashesUnder(RedisCommands<String, String> commands, String prefix) {
    KeyScanArgs args = KeyScanArgs.Builder.matches(globEscape(prefix) + "*").limit(SCAN_COUNT).type("hash");
    Set<String> out = new LinkedHashSet<>(); // SCAN may return a key twice
    ScanCursor cursor = ScanCursor.INITIAL;
    KeyScanCursor<String> page;
    do {
      page = commands.scan(cursor, args);
      for (String key : page.getKeys()) {
        if (key.startsWith(prefix)) {
          out.add(key.substring(prefix.length()));
        }
      }
      cursor = page;
    } while (!page.isFinished());
    return out;
  }

  /** SCAN MATCH treats {@code * ? [ ] \} specially; names are matched literally. */
  public static String globEscape(String text) {
    StringBuilder out = new StringBuilder(text.length() + 8);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }
}
