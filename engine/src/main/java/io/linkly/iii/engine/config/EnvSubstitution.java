package io.linkly.iii.engine.config;

import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ${NAME}} and {@code ${NAME:default}} on the raw config text, before YAML parsing, as
 * upstream does (BUILTINS.md §1): a set variable wins even when empty; the default runs to the
 * closing brace. Upstream panics on an unset variable without default; we report it instead.
 */
final class EnvSubstitution {

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}:]+)(?::([^}]*))?}");

  private EnvSubstitution() {}

  static String apply(String text, Function<String, String> env, String version) throws ConfigException {
    Matcher matcher = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    while (matcher.find()) {
      String name = matcher.group(1);
      String fallback = matcher.group(2);
      String value = env.apply(name);
      if (value == null) {
        if (fallback == null) {
          int line = lineOf(text, matcher.start());
          throw new ConfigException(
              "line " + line + ": environment variable " + name + " is not set and ${" + name + "} has no default");
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
