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

  @Test
  void maxBackoffCapsEveryDelayFromTheFirstThatReachesIt() {
    Retry capped = new Retry(100_000, 1000, 30_000);
    assertThat(capped.delayAfter(5)).isEqualTo(16_000);
    assertThat(capped.delayAfter(6)).as("32 s, capped").isEqualTo(30_000);
    assertThat(capped.delayAfter(99_999)).isEqualTo(30_000);
    assertThat(new Retry(5, 50_000, 30_000).delayAfter(1)).as("a base above the cap").isEqualTo(30_000);
    assertThat(io.linkly.iii.engine.workers.queue.adapter.RabbitTopology.retryDelays(capped))
        .as("RabbitMQ's retry queues: one per distinct delay")
        .containsExactly(1000L, 2000L, 4000L, 8000L, 16_000L, 30_000L);
  }
}
