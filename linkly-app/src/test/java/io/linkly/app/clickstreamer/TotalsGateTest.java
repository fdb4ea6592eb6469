package io.linkly.app.clickstreamer;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkly.app.clickstreamer.TotalsGate.Admission;
import io.linkly.app.clickstreamer.TotalsGate.Click;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Which clicks a seed counts and which the live increments count: each exactly once. */
class TotalsGateTest {

  private static Click click(String code, long rowId) {
    return new Click(code, "2026-12-01T10:00:00.000Z", rowId);
  }

  @Test
  void clicksWaitForTheFirstSeedAndOnlyThoseItDidNotCountAreReleased() {
    TotalsGate gate = new TotalsGate(100);
    assertThat(gate.admit(click("a", 5))).isEqualTo(Admission.HELD);
    assertThat(gate.admit(click("a", 12))).isEqualTo(Admission.HELD);
    assertThat(gate.admit(click("b", -1))).isEqualTo(Admission.HELD);
    // the seed's snapshot reached row 10: row 5 is in it, row 12 is not, an unknown row cannot be placed
    assertThat(gate.endSeed(10)).extracting(Click::rowId).containsExactly(12L, -1L);
    assertThat(gate.heldCount()).isZero();
  }

  @Test
  void afterASeedARowItCountedIsNeverCountedAgain() {
    TotalsGate gate = new TotalsGate(100);
    gate.endSeed(10);
    assertThat(gate.admit(click("a", 10))).as("a late announcement of a seeded row").isEqualTo(Admission.IN_SEED);
    assertThat(gate.admit(click("a", 11))).isEqualTo(Admission.COUNT);
    gate.counted();
    assertThat(gate.admit(click("a", -1))).isEqualTo(Admission.COUNT);
    gate.counted();
  }

  @Test
  void aSeedStartsOnlyOnceNoIncrementIsOnItsWay() throws Exception {
    TotalsGate gate = new TotalsGate(100);
    gate.endSeed(0);
    assertThat(gate.admit(click("a", 1))).isEqualTo(Admission.COUNT); // its increment is being applied
    CountDownLatch seedStarted = new CountDownLatch(1);
    Thread seeder = Thread.ofVirtual().start(() -> {
      try {
        gate.beginSeed();
        seedStarted.countDown();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(seedStarted.await(200, TimeUnit.MILLISECONDS)).as("the seed waits for the increment").isFalse();
    assertThat(gate.admit(click("a", 2))).as("a click after the seed began waits for it").isEqualTo(Admission.HELD);
    gate.counted();
    assertThat(seedStarted.await(5, TimeUnit.SECONDS)).isTrue();
    seeder.join();
    assertThat(gate.endSeed(2)).as("row 2 committed before the snapshot, which counts it").isEmpty();
  }

  @Test
  void clicksPastTheBoundAreDroppedAndAskForAnotherSeed() {
    TotalsGate gate = new TotalsGate(2);
    for (int i = 1; i <= 3; i++) {
      assertThat(gate.admit(click("a", 10 + i))).isEqualTo(Admission.HELD);
    }
    assertThat(gate.heldCount()).isEqualTo(2);
    assertThat(gate.endSeed(10)).hasSize(2);
    assertThat(gate.takeOverflow()).isTrue();
    assertThat(gate.takeOverflow()).isFalse();
  }
}
