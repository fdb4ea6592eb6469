package io.linkly.iii.engine.workers.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkly.iii.engine.testing.HandClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RateMeterTest {

  @Test
  void averagesTheLastTenWholeSecondsAndForgetsOlderOnes() {
    HandClock clock = new HandClock(Instant.ofEpochMilli(1_000_000));
    RateMeter meter = new RateMeter(clock);
    for (int i = 0; i < 30; i++) {
      meter.mark();
    }
    assertThat(meter.perSecond()).as("the current second is still filling").isZero();
    clock.advance(Duration.ofMillis(1000));
    assertThat(meter.perSecond()).isEqualTo(3.0);
    for (int second = 0; second < 5; second++) {
      for (int i = 0; i < 10; i++) {
        meter.mark();
      }
      clock.advance(Duration.ofMillis(1000));
    }
    assertThat(meter.perSecond()).isEqualTo(8.0); // (30 + 5 × 10) / 10
    clock.advance(Duration.ofMillis(5000));
    assertThat(meter.perSecond()).as("the 30 have left the window").isEqualTo(5.0);
    clock.advance(Duration.ofMillis(60_000));
    meter.mark(); // a slot reused after a minute starts from zero
    clock.advance(Duration.ofMillis(1000));
    assertThat(meter.perSecond()).isEqualTo(0.1);
    assertThat(meter.total()).isEqualTo(81);
  }
}
