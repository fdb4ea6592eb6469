package io.linkly.iii.engine.net;

/**
 * How much unread output a worker socket may hold. Above {@code maxBufferedBytes} the engine stops
 * reading the worker's own frames (so it cannot make more work for itself) and starts a grace
 * period; a worker still above the bound when {@code graceMs} have passed is disconnected. A worker
 * with {@code hardLimitBytes} waiting is disconnected at once.
 */
public record SocketLimits(long maxBufferedBytes, long graceMs, long hardLimitBytes) {

  public static final SocketLimits DEFAULTS = new SocketLimits(1024 * 1024, 5_000, 64L * 1024 * 1024);

  public SocketLimits {
    if (maxBufferedBytes <= 0 || graceMs <= 0 || hardLimitBytes < maxBufferedBytes) {
      throw new IllegalArgumentException("socket limits must be positive and hardLimitBytes >= maxBufferedBytes");
    }
  }
}
