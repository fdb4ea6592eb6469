package io.linkly.iii.engine.core;

/**
 * The router's bounds. {@code invocationTimeoutMs} is the deadline of a call whose caller named
 * none; {@code maxInvocationsPerWorker} caps the calls one worker executes at once, so a worker that
 * never answers cannot make the engine hold calls without limit.
 */
public record RouterSettings(long invocationTimeoutMs, int maxInvocationsPerWorker) {

  public static final long DEFAULT_INVOCATION_TIMEOUT_MS = 30_000;
  public static final int DEFAULT_MAX_INVOCATIONS_PER_WORKER = 10_000;

  public static final RouterSettings DEFAULTS =
      new RouterSettings(DEFAULT_INVOCATION_TIMEOUT_MS, DEFAULT_MAX_INVOCATIONS_PER_WORKER);

  public RouterSettings {
    if (invocationTimeoutMs <= 0 || maxInvocationsPerWorker <= 0) {
      throw new IllegalArgumentException("router bounds must be positive");
    }
  }
}
