package io.linkly.iii.sdk;

import java.time.Duration;

/**
 * Exponential backoff between connection attempts: {@code min(initialDelay * multiplier^attempt,
 * maxDelay) ± jitterFactor}. {@code maxRetries < 0} retries forever. The attempt counter starts
 * again at zero after every successful connection.
 */
public record ReconnectPolicy(
    Duration initialDelay, double multiplier, Duration maxDelay, double jitterFactor, int maxRetries) {

  public static final ReconnectPolicy DEFAULT =
      new ReconnectPolicy(Duration.ofMillis(1000), 2.0, Duration.ofMillis(30_000), 0.3, -1);

  public ReconnectPolicy {
    if (initialDelay == null || initialDelay.isNegative()) {
      throw new IllegalArgumentException("initialDelay must be zero or positive");
    }
    if (maxDelay == null || maxDelay.compareTo(initialDelay) < 0) {
      throw new IllegalArgumentException("maxDelay must be at least initialDelay");
    }
    if (!(multiplier >= 1.0)) {
      throw new IllegalArgumentException("multiplier must be at least 1");
    }
    if (!(jitterFactor >= 0.0 && jitterFactor <= 1.0)) {
      throw new IllegalArgumentException("jitterFactor must be between 0 and 1");
    }
  }

  public static ReconnectPolicy defaults() {
    return DEFAULT;
  }

  public ReconnectPolicy withInitialDelay(Duration delay) {
    return new ReconnectPolicy(delay, multiplier, maxDelay, jitterFactor, maxRetries);
  }

  public ReconnectPolicy withMultiplier(double factor) {
    return new ReconnectPolicy(initialDelay, factor, maxDelay, jitterFactor, maxRetries);
  }

  public ReconnectPolicy withMaxDelay(Duration delay) {
    return new ReconnectPolicy(initialDelay, multiplier, delay, jitterFactor, maxRetries);
  }

  public ReconnectPolicy withJitterFactor(double factor) {
    return new ReconnectPolicy(initialDelay, multiplier, maxDelay, factor, maxRetries);
  }

  public ReconnectPolicy withMaxRetries(int retries) {
    return new ReconnectPolicy(initialDelay, multiplier, maxDelay, jitterFactor, retries);
  }

  /**
   * The delay before attempt number {@code attempt} (0-based). {@code random} is a value in
   * [0, 1) that places the delay inside the jitter band.
   */
  public Duration delayFor(int attempt, double random) {
    double base =
        Math.min(
            initialDelay.toMillis() * Math.pow(multiplier, Math.max(0, attempt)),
            (double) maxDelay.toMillis());
    double jitter = base * jitterFactor * (random * 2 - 1);
    return Duration.ofMillis(Math.max(0, Math.round(base + jitter)));
  }

  /** True when attempt number {@code attempt} (0-based) is still allowed. */
  public boolean allows(int attempt) {
    return maxRetries < 0 || attempt < maxRetries;
  }
}
