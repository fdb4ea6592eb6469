package io.linkly.app.link;

import java.security.SecureRandom;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/** Short codes: chosen ones are 1–64 of {@code [A-Za-z0-9_-]}; generated ones 6 of {@code [a-z0-9]}. */
public final class ShortCode {

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
  private static final int GENERATED_LENGTH = 6;

  private final RandomGenerator random;

  public ShortCode(RandomGenerator random) {
    this.random = random;
  }

  public static ShortCode secure() {
    return new ShortCode(new SecureRandom());
  }

  public String generate() {
    StringBuilder code = new StringBuilder(GENERATED_LENGTH);
    for (int i = 0; i < GENERATED_LENGTH; i++) {
      code.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return code.toString();
  }

  /** Checks a caller-chosen code. */
  public static String validate(String code) {
    if (!VALID.matcher(code).matches()) {
      throw new InvalidLinkException(
          "\"code\" must be 1 to 64 characters of letters, digits, '-' or '_'");
    }
    return code;
  }
}
