package io.linkly.app.guard;

import io.linkly.iii.engine.config.ConfigException;
import java.util.Optional;
import java.util.function.Function;

/**
 * What the guard enforces, from the environment: {@code LINKLY_API_TOKEN} (unset or empty: write
 * routes are open) and {@code LINKLY_CREATE_RATE} (links created per minute per client, default
 * 60, 0 for no limit). Read before anything starts, so a bad value stops Linkly at once.
 */
public record GuardSettings(Optional<String> apiToken, int createRatePerMinute) {

  public static final String API_TOKEN = "LINKLY_API_TOKEN";
  public static final String CREATE_RATE = "LINKLY_CREATE_RATE";
  public static final int DEFAULT_CREATE_RATE = 60;

  /** @throws ConfigException naming the variable when a value cannot be used */
  public static GuardSettings fromEnv(Function<String, String> env) throws ConfigException {
    String token = env.apply(API_TOKEN);
    if (token != null && !token.isEmpty() && !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      // a client could never send it: a bearer token is one run of visible ASCII characters
      throw new ConfigException(API_TOKEN + " must be printable ASCII without spaces");
    }
    String rate = env.apply(CREATE_RATE);
    int perMinute = DEFAULT_CREATE_RATE;
    if (rate != null && !rate.isEmpty()) {
      try {
        perMinute = rate.chars().allMatch(c -> c >= '0' && c <= '9') ? Integer.parseInt(rate) : -1;
      } catch (NumberFormatException tooLarge) {
        perMinute = -1;
      }
      if (perMinute < 0) {
        throw new ConfigException(CREATE_RATE + " must be a non-negative integer (links per minute per client; 0 turns the limit off), not '"
            + rate + "'");
      }
    }
    return new GuardSettings(token == null || token.isEmpty() ? Optional.empty() : Optional.of(token), perMinute);
  }

  /** Never prints the token. */
  @Override
  public String toString() {
    return "GuardSettings[apiToken=" + (apiToken.isPresent() ? "<set>" : "<none>") + ", createRatePerMinute=" + createRatePerMinute + "]";
  }
}
