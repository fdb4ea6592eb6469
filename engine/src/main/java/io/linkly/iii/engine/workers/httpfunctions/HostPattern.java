package io.linkly.iii.engine.workers.httpfunctions;

import java.util.regex.Pattern;

/**
 * One {@code url_allowlist} entry: a glob over a URL's host, with upstream's glob rules ({@code *}
 * any run of characters, dots included; {@code ?} one character; {@code [a-z]} and {@code [!0-9]}
 * classes; case-sensitive, as hosts arrive lower-cased). A pattern upstream refuses at start-up
 * ({@code [} unclosed, {@code ***}, a {@code **} that is not a whole path component) is refused
 * here too, so a config that upstream rejects is not quietly read another way.
 */
public record HostPattern(String glob, Pattern regex) {

  public static final HostPattern ANY = compile("*");

  public boolean matches(String host) {
    return regex.matcher(host).matches();
  }

  /** @throws IllegalArgumentException what is wrong with the pattern */
  public static HostPattern compile(String glob) {
    StringBuilder regex = new StringBuilder();
    int i = 0;
    while (i < glob.length()) {
      char c = glob.charAt(i);
      switch (c) {
        case '*' -> {
          int run = 0;
          while (i + run < glob.length() && glob.charAt(i + run) == '*') {
            run++;
          }
          if (run > 2) {
            throw new IllegalArgumentException("wildcards are either regular `*` or recursive `**`");
          }
          if (run == 2) {
            boolean startsComponent = i == 0 || glob.charAt(i - 1) == '/';
            boolean endsComponent = i + 2 == glob.length() || glob.charAt(i + 2) == '/';
            if (!startsComponent || !endsComponent) {
              throw new IllegalArgumentException("recursive wildcards must form a single path component");
            }
          }
          regex.append(".*");
          i += run;
        }
        case '?' -> {
          regex.append('.');
          i++;
        }
        case '[' -> i = characterClass(glob, i, regex);
        default -> {
          regex.append(Pattern.quote(String.valueOf(c)));
          i++;
        }
      }
    }
    return new HostPattern(glob, Pattern.compile(regex.toString(), Pattern.DOTALL));
  }

  /** Translates the class that opens at {@code open}; returns the index after its {@code ]}. */
  private static int characterClass(String glob, int open, StringBuilder regex) {
    int i = open + 1;
    boolean negated = i < glob.length() && glob.charAt(i) == '!';
    if (negated) {
      i++;
    }
    StringBuilder members = new StringBuilder();
    boolean first = true;
    while (i < glob.length() && (glob.charAt(i) != ']' || first)) {
      char from = glob.charAt(i);
      if (i + 2 < glob.length() && glob.charAt(i + 1) == '-' && glob.charAt(i + 2) != ']') {
        char to = glob.charAt(i + 2);
        if (to < from) {
          throw new IllegalArgumentException("invalid range " + from + "-" + to);
        }
        members.append(escape(from)).append('-').append(escape(to));
        i += 3;
      } else {
        members.append(escape(from));
        i++;
      }
      first = false;
    }
    if (i >= glob.length()) {
      throw new IllegalArgumentException("invalid range pattern: `[` without its `]`");
    }
    regex.append(negated ? "[^" : "[").append(members).append(']');
    return i + 1;
  }

  private static String escape(char c) {
    return Character.isLetterOrDigit(c) ? String.valueOf(c) : "\\" + c;
  }
}
