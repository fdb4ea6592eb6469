package io.linkly.iii.engine.workers.observability.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkly.iii.engine.workers.observability.ObservabilityConfig.Sampling;
import io.linkly.iii.engine.workers.observability.ObservabilityConfig.SamplingRule;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@code sampling}: rules by span name and service, the default ratio, the rate limit, parents. */
class ConfiguredSamplerTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private Sampler sampler(double samplingRatio, Sampling sampling) {
    return ConfiguredSampler.of(samplingRatio, sampling, "linkly", now::get);
  }

  private static String newTraceId() {
    return String.format("%016x%016x", ThreadLocalRandom.current().nextLong(), ThreadLocalRandom.current().nextLong() | 1);
  }

  private static boolean keeps(Sampler sampler, Context parent, String name) {
    return sampler.shouldSample(parent, newTraceId(), name, SpanKind.SERVER, Attributes.empty(), List.of()).getDecision()
        == SamplingDecision.RECORD_AND_SAMPLE;
  }

  private static boolean keepsRoot(Sampler sampler, String name) {
    return keeps(sampler, Context.root(), name);
  }

  private static Context remoteParent(boolean sampled) {
    SpanContext parent = SpanContext.createFromRemoteParent(
        newTraceId(), "00f067aa0ba902b7", sampled ? TraceFlags.getSampled() : TraceFlags.getDefault(), TraceState.getDefault());
    return Context.root().with(Span.wrap(parent));
  }

  private static int kept(Sampler sampler, String name, int of) {
    int kept = 0;
    for (int i = 0; i < of; i++) {
      kept += keepsRoot(sampler, name) ? 1 : 0;
    }
    return kept;
  }

  @Test
  void theRateLimitKeepsAtMostItsTracesASecondAndRefillsWithTime() {
    Sampler sampler = sampler(1.0, new Sampling(null, null, List.of(), 3));
    assertThat(kept(sampler, "GET /s/:code", 10)).as("a full bucket: one second's worth").isEqualTo(3);
    now.addAndGet(1_000_000_000L / 3 + 1);
    assertThat(kept(sampler, "GET /s/:code", 10)).as("a third of a second later").isEqualTo(1);
    now.addAndGet(10_000_000_000L);
    assertThat(kept(sampler, "GET /s/:code", 10)).as("an idle spell saves up no more than one second").isEqualTo(3);
  }

  @Test
  void spansInsideAKeptTraceAreKeptWhateverTheBudgetAndADroppedTraceStaysDropped() {
    Sampler sampler = sampler(1.0, new Sampling(null, null, List.of(), 1));
    assertThat(keepsRoot(sampler, "first")).isTrue();
    assertThat(keepsRoot(sampler, "second")).as("the budget is spent").isFalse();
    for (int i = 0; i < 20; i++) {
      assertThat(keeps(sampler, remoteParent(true), "link::resolve")).as("a hop of a kept trace").isTrue();
      assertThat(keeps(sampler, remoteParent(false), "link::resolve")).as("a hop of a dropped trace").isFalse();
    }
  }

  @Test
  void theFirstMatchingRuleDecidesByNameAndService() {
    Sampler sampler = sampler(1.0, new Sampling(null, null, List.of(
        new SamplingRule("GET /health*", null, 0.0),
        new SamplingRule("noisy::?", "link*", 0.0),
        new SamplingRule("noisy::*", null, 1.0),
        new SamplingRule(null, "other", 0.0)), null));
    assertThat(kept(sampler, "GET /health", 20)).isZero();
    assertThat(kept(sampler, "GET /healthz", 20)).isZero();
    assertThat(kept(sampler, "GET /s/:code", 20)).isEqualTo(20);
    assertThat(kept(sampler, "noisy::a", 20)).as("? is one character, the service matches linkly").isZero();
    assertThat(kept(sampler, "noisy::ab", 20)).as("the next rule").isEqualTo(20);
    assertThat(kept(sampler, "x.y", 20)).as("a rule for another service does not apply; dots are literal").isEqualTo(20);
  }

  @Test
  void theBlocksDefaultWinsOverSamplingRatioAndRatiosDecideByTraceId() {
    Sampler none = sampler(1.0, new Sampling(0.0, null, List.of(), null));
    assertThat(kept(none, "a", 50)).isZero();
    Sampler half = sampler(0.0, new Sampling(0.5, null, List.of(new SamplingRule("never", null, 0.0)), null));
    int kept = kept(half, "a", 4000);
    assertThat(kept).isBetween(1600, 2400); // 0.5 of random trace ids: 2000 ± 10 standard deviations
    String traceId = newTraceId();
    boolean first = half.shouldSample(Context.root(), traceId, "a", SpanKind.SERVER, Attributes.empty(), List.of()).getDecision()
        == SamplingDecision.RECORD_AND_SAMPLE;
    for (int i = 0; i < 10; i++) {
      assertThat(half.shouldSample(Context.root(), traceId, "a", SpanKind.SERVER, Attributes.empty(), List.of()).getDecision()
          == SamplingDecision.RECORD_AND_SAMPLE).as("the same trace id, the same decision").isEqualTo(first);
    }
  }

  @Test
  void withoutRulesOrALimitItIsTheRatioParentBased() {
    assertThat(kept(sampler(1.0, Sampling.NONE), "a", 20)).isEqualTo(20);
    assertThat(kept(sampler(0.0, Sampling.NONE), "a", 20)).isZero();
    assertThat(keeps(sampler(0.0, Sampling.NONE), remoteParent(true), "a")).isTrue();
  }
}
