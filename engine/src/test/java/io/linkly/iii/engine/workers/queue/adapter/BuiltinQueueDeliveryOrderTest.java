package io.linkly.iii.engine.workers.queue.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.linkly.iii.engine.workers.queue.QueueConfig;
import io.linkly.iii.engine.workers.queue.Retry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two delivery rules of the builtin queue that the README states: a delivery interrupted by a
 * consumer stop is not an attempt, and a retry that falls due goes ahead of the messages waiting.
 */
class BuiltinQueueDeliveryOrderTest {

  @TempDir Path dir;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  /** A clock the test moves by hand, so a retry falls due exactly when the test says. */
  private static final class ManualClock extends Clock {
    private final AtomicLong millis = new AtomicLong(1_000_000);

    void advance(long ms) {
      millis.addAndGet(ms);
    }

    @Override
    public long millis() {
      return millis.get();
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  private BuiltinQueue open(Clock clock) throws Exception {
    BuiltinQueue queue =
        new BuiltinQueue(new QueueConfig.Builtin(dir, 50, 100_000, 64L << 20, 10_000), executor, clock, Long.MAX_VALUE);
    queue.open();
    return queue;
  }

  private static QueueSpec spec(Retry retry) {
    return new QueueSpec(QueueSpec.namedKey("q"), null, false, 1, retry, null);
  }

  private static QueueMessage message(String id) {
    return new QueueMessage(id, "fn", ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8), null, null, null, null, 1, 0);
  }

  @Test
  void aDeliveryInterruptedByAConsumerStopIsNotCountedAsAnAttempt() throws Exception {
    QueueSpec spec = spec(new Retry(5, 0));
    List<Integer> attemptsSeen = new CopyOnWriteArrayList<>();
    try (BuiltinQueue queue = open(Clock.systemUTC())) {
      queue.enqueue(spec, message("m")).get(10, TimeUnit.SECONDS);
      // first delivery fails (one attempt counted); the second is left hanging, then the consumer stops
      queue.consume(spec, m -> {
        attemptsSeen.add(m.attempts());
        return attemptsSeen.size() == 1
            ? CompletableFuture.failedFuture(new IllegalStateException("first attempt fails"))
            : new CompletableFuture<>();
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> attemptsSeen.size() == 2);
      queue.stopConsuming(spec.name());
      CompletableFuture<Integer> redelivered = new CompletableFuture<>();
      queue.consume(spec, m -> {
        redelivered.complete(m.attempts());
        return CompletableFuture.completedFuture(null);
      });
      assertThat(redelivered.get(10, TimeUnit.SECONDS)).as("attempts before the redelivery").isEqualTo(1);
      assertThat(attemptsSeen).containsExactly(0, 1);
    }
  }

  @Test
  void aRetryThatFallsDueGoesAheadOfTheWaitingMessages() throws Exception {
    ManualClock clock = new ManualClock();
    QueueSpec spec = spec(new Retry(3, 1000));
    List<String> order = new CopyOnWriteArrayList<>();
    Map<String, CompletableFuture<Void>> outcomes = new ConcurrentHashMap<>();
    try (BuiltinQueue queue = open(clock)) {
      queue.enqueue(spec, message("retry-me")).get(10, TimeUnit.SECONDS);
      queue.enqueue(spec, message("w0")).get(10, TimeUnit.SECONDS);
      queue.consume(spec, m -> {
        CompletableFuture<Void> outcome = m.id().equals("retry-me") && m.attempts() == 0
            ? CompletableFuture.failedFuture(new IllegalStateException("fails once"))
            : outcomes.computeIfAbsent(m.id() + "#" + m.attempts(), k -> new CompletableFuture<>());
        order.add(m.id()); // after the outcome is registered, so the test can complete it
        return outcome;
      });
      // retry-me failed and waits 1000 ms of the manual clock; w0 holds the only lane
      await().atMost(Duration.ofSeconds(10)).until(() -> order.equals(List.of("retry-me", "w0")));
      for (int i = 1; i <= 3; i++) {
        queue.enqueue(spec, message("w" + i)).get(10, TimeUnit.SECONDS);
      }
      clock.advance(1001 + 1);
      outcomes.get("w0#0").complete(null);
      await().atMost(Duration.ofSeconds(10)).until(() -> order.size() == 3);
      assertThat(order.get(2)).as("the delivery after w0, with w1..w3 waiting").isEqualTo("retry-me");
      // and the rest follow
      outcomes.get("retry-me#1").complete(null);
      for (int i = 1; i <= 3; i++) {
        String id = "w" + i;
        await().atMost(Duration.ofSeconds(10)).until(() -> outcomes.containsKey(id + "#0"));
        outcomes.get(id + "#0").complete(null);
      }
      assertThat(order).containsExactly("retry-me", "w0", "retry-me", "w1", "w2", "w3");
    }
  }
}
