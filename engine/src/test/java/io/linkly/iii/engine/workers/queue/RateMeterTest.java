package io.linkly.iii.engine.workers.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RateMeterTest {

  /** A clock the test moves by hand. */
  private static final class HandClock extends Clock {
    long millis = 1_000_000;

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
      return Instant.ofEpochMilli(millis);
    }
  }

  @Test
  void averagesTheLastTenWholeSecondsAndForgetsOlderOnes() {
    HandClock clock = new HandClock();
    RateMeter meter = new RateMeter(clock);
    for (int i = 0; i < 30; i++) {
      meter.mark();
    }
    assertThat(meter.perSecond()).as("the current second is still filling").isZero();
    clock.millis += 1000;
    assertThat(meter.perSecond()).isEqualTo(3.0);
    for (int second = 0; second < 5; second++) {
      for (int i = 0; i < 10; i++) {
        meter.mark();
      }
      clock.millis += 1000;
    }
    assertThat(meter.perSecond()).isEqualTo(8.0); // (30 + 5 × 10) / 10
    clock.millis += 5000;
    assertThat(meter.perSecond()).as("the 30 have left the window").isEqualTo(5.0);
    clock.millis += 60_000;
    meter.mark(); // a slot reused after a minute starts from zero
    clock.millis += 1000;
    assertThat(meter.perSecond()).isEqualTo(0.1);
    assertThat(meter.total()).isEqualTo(81);
  }
}
