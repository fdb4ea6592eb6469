package io.linkly.iii.engine.config;

import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ${NAME}} and {@code ${NAME:default}} on the raw config text, before YAML parsing, as
 * upstream does (BUILTINS.md §1): a set variable wins even when empty; the default runs to the
 * closing brace. Upstream panics on an unset variable without default; we report it instead.
 */
public final class EnvSubstitution {

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}:]+)(?::([^}]*))?}");

  private EnvSubstitution() {}

  static String apply(String text, Function<String, String> env, String version) throws ConfigException {
    return substitute(text, env, version, true);
  }

  /**
   * The same substitution on one string value rather than a whole file (the configuration
   * worker's string leaves): an unset variable without default is reported without a line number.
   */
  public static String expand(String value, Function<String, String> env) throws ConfigException {
    return substitute(value, env, io.linkly.iii.engine.core.EngineVersion.VERSION, false);
  }

  /** True when {@code value} holds at least one placeholder. */
  public static boolean hasPlaceholder(String value) {
    return value.contains("${") && PLACEHOLDER.matcher(value).find();
  }

  /** True when {@code value} is one placeholder and nothing else but whitespace. */
  public static boolean isOnlyPlaceholder(String value) {
    return PLACEHOLDER.matcher(value.strip()).matches();
  }

  private static String substitute(String text, Function<String, String> env, String version, boolean withLines)
      throws ConfigException {
    Matcher matcher = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    while (matcher.find()) {
      String name = matcher.group(1);
      String fallback = matcher.group(2);
      String value = env.apply(name);
      if (value == null) {
        if (fallback == null) {
          String where = withLines ? "line " + lineOf(text, matcher.start()) + ": " : "";
          throw new ConfigException(
              where + "environment variable " + name + " is not set and ${" + name + "} has no default");
        }
        value = "__III_ENGINE_VERSION__".equals(fallback) ? version : fallback;
      }
      matcher.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    matcher.appendTail(out);
    return out.toString();
  }

  private static int lineOf(String text, int offset) {
    int line = 1;
    for (int i = 0; i < offset; i++) {
      if (text.charAt(i) == '\n') {
        line++;
      }
    }
    return line;
  }
}
