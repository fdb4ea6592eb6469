package io.linkly.iii.engine.workers.queue;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RetryTest {

  @Test
  void maxRetriesIsTheNumberOfRetriesAfterTheFirstAttempt() {
    Retry three = new Retry(3, 1000);
    assertThat(three.maxAttempts()).isEqualTo(4);
    assertThat(three.exhausted(3)).isFalse();
    assertThat(three.exhausted(4)).isTrue();
    assertThat(new Retry(0, 1000).exhausted(1)).as("max_retries 0: one call").isTrue();
  }

  @Test
  void theBackoffDoublesFromTheBaseAndIsCapped() {
    Retry retry = new Retry(100, 1000);
    assertThat(retry.delayAfter(1)).isEqualTo(1000);
    assertThat(retry.delayAfter(2)).isEqualTo(2000);
    assertThat(retry.delayAfter(5)).isEqualTo(16_000);
    assertThat(retry.delayAfter(40)).isEqualTo(Retry.MAX_DELAY_MS);
    assertThat(retry.delayAfter(1000)).isEqualTo(Retry.MAX_DELAY_MS);
    assertThat(new Retry(3, 0).delayAfter(3)).isZero();
  }
}
