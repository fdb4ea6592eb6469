package io.linkly.iii.engine.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock that stands still until the test moves it: expiry, windows and idle timers without waiting. */
public final class HandClock extends Clock {

  private volatile Instant now;

  public HandClock(Instant start) {
    this.now = start;
  }

  public HandClock() {
    this(Instant.parse("2026-12-05T10:00:00Z"));
  }

  public void advance(Duration by) {
    now = now.plus(by);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    return now;
  }
}
