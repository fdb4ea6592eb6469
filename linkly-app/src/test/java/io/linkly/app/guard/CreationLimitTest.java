package io.linkly.app.guard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The per-client buckets behind {@code LINKLY_CREATE_RATE}. */
class CreationLimitTest {

  @Test
  void aFloodOfDistinctAddressesKeepsAtMostTheCapOfBuckets() {
    CreationLimit limit = new CreationLimit(2, 100);
    for (int i = 0; i < 10_000; i++) {
      assertThat(limit.tryAcquire("10.0." + (i >> 8) + "." + (i & 0xff))).as("a new client may create").isZero();
    }
    assertThat(limit.clients()).isEqualTo(100);
  }

  @Test
  void aClientPastItsRateWaitsAndOthersDoNot() {
    CreationLimit limit = new CreationLimit(2, 100);
    assertThat(limit.tryAcquire("192.0.2.1")).isZero();
    assertThat(limit.tryAcquire("192.0.2.1")).isZero();
    // two a minute: the next token is (up to) half a minute away
    assertThat(limit.tryAcquire("192.0.2.1")).isPositive().isLessThanOrEqualTo(30_000_000_000L);
    assertThat(limit.tryAcquire("192.0.2.2")).isZero();
  }

  @Test
  void theClientStillCreatingKeepsItsBucketWhileOthersComeAndGo() {
    CreationLimit limit = new CreationLimit(1, 3);
    assertThat(limit.tryAcquire("busy")).isZero();
    for (int i = 0; i < 10; i++) {
      assertThat(limit.tryAcquire("busy")).as("still limited after %d others", i).isPositive();
      limit.tryAcquire("passer-by-" + i);
    }
  }
}
