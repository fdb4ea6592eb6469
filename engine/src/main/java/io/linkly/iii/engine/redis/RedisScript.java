package io.linkly.iii.engine.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Lua script, run by its SHA-1 digest so that a hot write sends a few
 * bytes instead of the whole text. The text goes over the wire only when Redis does not know the
 * digest (first use, a restarted or flushed Redis), and that EVAL loads it for next time.
 */
public record RedisScript(String text, String sha) {

  public RedisScript(String text) {
    this(text, sha1(text));
  }

  /** Runs the script with {@code KEYS[1] = key} and {@code ARGV = args}. */
  public <T> T run(RedisCommands<String, String> commands, ScriptOutputType type, String key, String... args) {
    return run(commands, type, new String[] {key}, args);
  }

  /** Runs the script with {@code KEYS = keys} and {@code ARGV = args}. */
  public <T> T run(RedisCommands<String, String> commands, ScriptOutputType type, String[] keys, String... args) {
    try {
      return commands.evalsha(sha, type, keys, args);
    } catch (RedisNoScriptException e) {
      return commands.eval(text, type, keys, args);
    }
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JDK ships SHA-1
    }
  }
}
