package io.linkly.iii.engine.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.metrics.Histogram;
import io.linkly.iii.protocol.Json;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The router's counters: outcomes and latency per function, bounded, and nothing allocated per call. */
class InvocationCountersTest {

  private static final CompletableFuture<JsonNode> ANSWERED = CompletableFuture.completedFuture(Json.object());
  private static final CompletableFuture<JsonNode> FAILED =
      CompletableFuture.failedFuture(new InvocationException("boom", "failed"));

  /** A chain whose target answers in place, as most built-ins do. */
  private record Answered(Call call, CompletableFuture<JsonNode> answer) implements InvocationInterceptor.Chain {
    @Override
    public CompletableFuture<JsonNode> proceed(Call next) {
      return answer;
    }
  }

  @Test
  void countsOutcomesAndLatencyPerRegisteredFunction() {
    InvocationCounters counters = new InvocationCounters(id -> id.startsWith("app::"));
    Answered ok = new Answered(Call.of("app::ok", null), ANSWERED);
    Answered failing = new Answered(Call.of("app::failing", null), FAILED);
    Answered unknown = new Answered(Call.of("nobody::here", null), FAILED);
    for (int i = 0; i < 3; i++) {
      counters.intercept(ok);
    }
    counters.intercept(failing);
    counters.intercept(unknown);
    CompletableFuture<JsonNode> pending = new CompletableFuture<>();
    counters.intercept(new Answered(Call.of("app::ok", null), pending));
    pending.cancel(false);

    List<InvocationCounters.FunctionSnapshot> functions = counters.byFunction();
    assertThat(functions).extracting(InvocationCounters.FunctionSnapshot::functionId)
        .containsExactly("app::failing", "app::ok", InvocationCounters.OTHER);
    InvocationCounters.FunctionSnapshot okStats = functions.get(1);
    assertThat(okStats.ok()).isEqualTo(3);
    assertThat(okStats.cancelled()).isEqualTo(1);
    assertThat(okStats.latency().count()).isEqualTo(4);
    assertThat(functions.get(0).error()).isEqualTo(1);
    assertThat(functions.get(2).error()).as("unregistered ids are pooled").isEqualTo(1);
    InvocationCounters.Snapshot totals = counters.snapshot();
    assertThat(totals.started()).isEqualTo(6);
    assertThat(totals.succeeded()).isEqualTo(3);
    assertThat(totals.failed()).isEqualTo(2);
    assertThat(totals.cancelled()).isEqualTo(1);
    assertThat(counters.latency().histogram().count()).isEqualTo(6);
    assertThat(counters.latency().maxNanos()).isGreaterThanOrEqualTo(counters.latency().minNanos());
  }

  @Test
  void aCallAnsweredInPlaceAllocatesNothingInTheCounters() {
    InvocationCounters counters = new InvocationCounters(id -> true);
    Answered ok = new Answered(Call.of("app::hot", null), ANSWERED);
    Answered failing = new Answered(Call.of("app::hot", null), FAILED);
    for (int i = 0; i < 20_000; i++) { // warm up: the function's entry and the adders' cells exist
      counters.intercept(ok);
      counters.intercept(failing);
    }
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 100_000; i++) {
      counters.intercept(ok);
      counters.intercept(failing);
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertThat(allocated).as("bytes allocated by 200,000 counted calls").isLessThan(8 * 1024);
  }

  @Test
  void aHistogramRecordAllocatesNothingAndItsQuantilesInterpolate() {
    Histogram histogram = new Histogram(new double[] {0.001, 0.01, 0.1});
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (int i = 0; i < 1_000; i++) {
      histogram.record(500_000); // 0.5 ms
    }
    long before = threads.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 100_000; i++) {
      histogram.record(5_000_000); // 5 ms
    }
    assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(16 * 1024);
    histogram.record(Long.MAX_VALUE);
    Histogram.Snapshot snapshot = histogram.snapshot();
    assertThat(snapshot.cumulative()).containsExactly(1_000, 101_000, 101_000, 101_001);
    assertThat(snapshot.quantile(0.5)).isBetween(0.001, 0.01);
    assertThat(snapshot.quantile(1.0)).as("in +Inf: the highest finite bound").isEqualTo(0.1);
    assertThat(new Histogram().snapshot().quantile(0.99)).isZero();
  }
}
