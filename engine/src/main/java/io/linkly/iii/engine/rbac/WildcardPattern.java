package io.linkly.iii.engine.rbac;

/**
 * A function-id pattern from {@code match("…")}: {@code *} stands for any run of characters, and
 * the pattern must match the whole id ({@code link::*} matches {@code link::create}, not {@code
 * xlink::create}).
 */
public record WildcardPattern(String pattern) {

  public boolean matches(String value) {
    return matches(0, value, 0);
  }

  // Iterative glob matching with one backtrack point: linear enough for ids, no regex to escape.
  private boolean matches(int p, String value, int v) {
    int starAt = -1;
    int resumeAt = 0;
    while (v < value.length()) {
      if (p < pattern.length() && pattern.charAt(p) == '*') {
        starAt = p++;
        resumeAt = v;
      } else if (p < pattern.length() && pattern.charAt(p) == value.charAt(v)) {
        p++;
        v++;
      } else if (starAt >= 0) {
        p = starAt + 1;
        v = ++resumeAt;
      } else {
        return false;
      }
    }
    while (p < pattern.length() && pattern.charAt(p) == '*') {
      p++;
    }
    return p == pattern.length();
  }

  /** The pattern inside {@code match("…")} or {@code match('…')}, or null for any other text. */
  static String unwrap(String text) {
    String t = text.strip();
    boolean wrapped =
        (t.startsWith("match(\"") && t.endsWith("\")")) || (t.startsWith("match('") && t.endsWith("')"));
    return wrapped && t.length() >= 9 ? t.substring(7, t.length() - 2) : null;
  }

  @Override
  public String toString() {
    return "match(\"" + pattern + "\")";
  }
}
