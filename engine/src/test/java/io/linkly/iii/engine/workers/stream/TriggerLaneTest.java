package io.linkly.iii.engine.workers.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TriggerLaneTest {

  @Test
  void aLaneTellsWhenItIsIdleOnlyThenRetiresAndThenTakesNothingMore() {
    AtomicInteger idle = new AtomicInteger();
    TriggerLane lane = new TriggerLane(Runnable::run, new AtomicLong(), idle::incrementAndGet);
    List<CompletableFuture<Void>> answers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      assertThat(lane.submit(() -> {
        CompletableFuture<Void> answer = new CompletableFuture<>();
        answers.add(answer);
        return answer;
      })).isTrue();
    }
    assertThat(answers).hasSize(3); // all three went out before any answer
    assertThat(lane.retireIfIdle()).isFalse();
    answers.forEach(a -> a.complete(null));
    assertThat(idle.get()).isEqualTo(1);
    assertThat(lane.retireIfIdle()).isTrue();
    assertThat(lane.submit(() -> CompletableFuture.completedFuture(null))).isFalse();
  }

  @Test
  void deliversAnsweredAtOnceLeaveTheLaneIdleToo() {
    AtomicInteger idle = new AtomicInteger();
    TriggerLane lane = new TriggerLane(Runnable::run, new AtomicLong(), idle::incrementAndGet);
    lane.submit(() -> CompletableFuture.completedFuture(null));
    assertThat(idle.get()).isPositive();
    assertThat(lane.retireIfIdle()).isTrue();
  }
}
