package io.linkly.iii.engine.workers.observability.tracing;

import io.linkly.iii.engine.workers.observability.ObservabilityConfig;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * The sampler {@code iii-observability}'s config asks for (BUILTINS.md §11.1): {@code
 * sampling_ratio}, or {@code sampling.default}, of new traces, the first matching {@code
 * sampling.rules} entry's {@code rate} for spans it names (by span name, {@code operation}, and
 * the engine's {@code service} name, with {@code *} and {@code ?} wildcards), and at most {@code
 * sampling.rate_limit.max_traces_per_second} traces kept. Decisions are by trace id, so every
 * engine and SDK deciding with the same ratio keeps the same traces.
 *
 * <p>Always parent-based: a span with a parent follows the parent's decision, so a trace is kept
 * or dropped whole; a rate limit consulted per span would cut traces in pieces. Unlike upstream,
 * the rate limit counts the traces kept, not the traces considered: with {@code default: 0.1} and
 * a limit of 100, up to 100 traces a second are kept, not 10.
 */
final class ConfiguredSampler implements Sampler {

  private record Rule(Pattern operation, Pattern service, Sampler ratio) {
    boolean matches(String name, String serviceName) {
      return (operation == null || operation.matcher(name).matches())
          && (service == null || (serviceName != null && service.matcher(serviceName).matches()));
    }
  }

  private final List<Rule> rules;
  private final Sampler fallback;
  private final TraceBudget budget;
  private final String serviceName;
  private final String description;

  private ConfiguredSampler(List<Rule> rules, Sampler fallback, TraceBudget budget, String serviceName, String description) {
    this.rules = rules;
    this.fallback = fallback;
    this.budget = budget;
    this.serviceName = serviceName;
    this.description = description;
  }

  /** The engine's sampler for {@code samplingRatio} and the {@code sampling} block. */
  static Sampler of(double samplingRatio, ObservabilityConfig.Sampling sampling, String serviceName, LongSupplier nanoTime) {
    double defaultRatio = sampling.defaultRatio() != null ? sampling.defaultRatio() : samplingRatio;
    Sampler fallback = Sampler.traceIdRatioBased(defaultRatio);
    if (sampling.rules().isEmpty() && sampling.maxTracesPerSecond() == null) {
      return Sampler.parentBased(fallback);
    }
    List<Rule> rules = new ArrayList<>();
    for (ObservabilityConfig.SamplingRule rule : sampling.rules()) {
      rules.add(new Rule(wildcard(rule.operation()), wildcard(rule.service()), Sampler.traceIdRatioBased(rule.rate())));
    }
    TraceBudget budget = sampling.maxTracesPerSecond() == null ? null : new TraceBudget(sampling.maxTracesPerSecond(), nanoTime);
    String description = "ConfiguredSampler{default=" + defaultRatio + ", rules=" + rules.size()
        + ", max_traces_per_second=" + sampling.maxTracesPerSecond() + "}";
    return Sampler.parentBased(new ConfiguredSampler(List.copyOf(rules), fallback, budget, serviceName, description));
  }

  /** {@code *}: any run of characters, {@code ?}: one; the rest literal; the whole name must match. */
  static Pattern wildcard(String pattern) {
    if (pattern == null) {
      return null;
    }
    StringBuilder regex = new StringBuilder();
    StringBuilder literal = new StringBuilder();
    for (char c : pattern.toCharArray()) {
      if (c == '*' || c == '?') {
        if (!literal.isEmpty()) {
          regex.append(Pattern.quote(literal.toString()));
          literal.setLength(0);
        }
        regex.append(c == '*' ? ".*" : ".");
      } else {
        literal.append(c);
      }
    }
    if (!literal.isEmpty()) {
      regex.append(Pattern.quote(literal.toString()));
    }
    return Pattern.compile(regex.toString(), Pattern.DOTALL);
  }

  @Override
  public SamplingResult shouldSample(
      Context parentContext, String traceId, String name, SpanKind spanKind, Attributes attributes, List<LinkData> parentLinks) {
    Sampler ratio = fallback;
    for (Rule rule : rules) {
      if (rule.matches(name, serviceName)) {
        ratio = rule.ratio();
        break;
      }
    }
    SamplingResult result = ratio.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
    if (result.getDecision() == SamplingDecision.RECORD_AND_SAMPLE && budget != null && !budget.tryTake()) {
      return SamplingResult.drop();
    }
    return result;
  }

  @Override
  public String getDescription() {
    return description;
  }
}
