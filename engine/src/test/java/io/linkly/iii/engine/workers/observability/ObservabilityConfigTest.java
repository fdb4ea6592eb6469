package io.linkly.iii.engine.workers.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.EngineVersion;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.engine.workers.observability.ObservabilityConfig.AlertOperator;
import io.linkly.iii.engine.workers.observability.ObservabilityConfig.Exporter;
import org.junit.jupiter.api.Test;

/** The {@code iii-observability} block: upstream's keys, defaults and clamping; bad values named. */
class ObservabilityConfigTest {

  private static final java.util.function.Function<String, String> NO_ENV = name -> null;

  /** Upstream's config-test.yaml block, as written there. */
  static final String UPSTREAM_FIXTURE =
      """
      workers:
        - name: iii-worker-manager
          config:
            port: 0
        - name: iii-observability
          config:
            enabled: true
            service_name: iii-test
            service_version: 0.2.0
            exporter: memory
            endpoint: http://localhost:4317
            sampling_ratio: 1.0
            memory_max_spans: 10000
            metrics_enabled: true
            metrics_exporter: memory
            metrics_retention_seconds: 3600
            metrics_max_count: 10000
            logs_enabled: true
            logs_exporter: memory
            logs_max_count: 1000
            logs_retention_seconds: 3600
            logs_sampling_ratio: 1.0
            logs_console_output: false
      """;

  private static ObservabilityConfig parse(String yaml) throws ConfigException {
    EngineConfig config = EngineConfig.parse("workers:\n  - name: iii-observability\n    config:\n" + yaml.indent(6), NO_ENV);
    return ObservabilityConfig.from(config.entries(ObservabilityWorker.NAME).get(0), NO_ENV);
  }

  private static String refusal(String yaml) {
    try {
      parse(yaml);
    } catch (ConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("accepted: " + yaml);
  }

  @Test
  void upstreamsTestFixtureStartsAndIsReadAsWritten() throws Exception {
    try (IiiEngine engine = IiiEngine.start(EngineConfig.parse(UPSTREAM_FIXTURE, NO_ENV)
        .withSetting("configuration", "adapter", io.linkly.iii.protocol.Json.object().put("name", "memory")));
        RawWorker worker = RawWorker.connect(engine.workerUrl())) {
      ObservabilityConfig config = engine.worker(ObservabilityWorker.class).orElseThrow().config();
      assertThat(config.enabled()).isTrue();
      assertThat(config.serviceName()).isEqualTo("iii-test");
      assertThat(config.serviceVersion()).isEqualTo("0.2.0");
      assertThat(config.exporter()).isEqualTo(Exporter.MEMORY);
      assertThat(config.endpoint()).isEqualTo("http://localhost:4317");
      assertThat(config.samplingRatio()).isEqualTo(1.0);
      assertThat(config.memoryMaxSpans()).isEqualTo(10_000);
      assertThat(config.metricsEnabled()).isTrue();
      assertThat(config.metricsRetentionSeconds()).isEqualTo(3600);
      assertThat(config.metricsMaxCount()).isEqualTo(10_000);
      assertThat(config.logsMaxCount()).isEqualTo(1000);
      assertThat(config.logsRetentionSeconds()).isEqualTo(3600);
      assertThat(config.logsSamplingRatio()).isEqualTo(1.0);
      assertThat(config.logsConsoleOutput()).isFalse();
      assertThat(config.liveSpans()).as("on by default for the memory exporter").isTrue();
      // and it runs: the functions answer
      assertThat(worker.call("engine::logs::list", "{}").path("result").path("total").asInt()).isZero();
    }
  }

  @Test
  void withoutABlockTheSeedApplies() throws Exception {
    ObservabilityConfig seed =
        ObservabilityConfig.from(new WorkerEntry(ObservabilityWorker.NAME, null, "defaults.iii-observability"), NO_ENV);
    assertThat(seed.enabled()).isTrue();
    assertThat(seed.serviceName()).isEqualTo("iii");
    assertThat(seed.serviceVersion()).isEqualTo(EngineVersion.VERSION);
    assertThat(seed.exporter()).isEqualTo(Exporter.MEMORY);
    assertThat(seed.memoryMaxSpans()).isEqualTo(10_000);
    assertThat(seed.metricsEnabled()).isTrue();
    assertThat(seed.logsConsoleOutput()).isTrue();
    assertThat(seed.logsMaxCount()).isEqualTo(1000);
    ObservabilityConfig versioned =
        ObservabilityConfig.from(new WorkerEntry(ObservabilityWorker.NAME, null, "defaults"), name -> name.equals("SERVICE_VERSION") ? "7.1" : null);
    assertThat(versioned.serviceVersion()).isEqualTo("7.1");
  }

  @Test
  void aWrittenBlockGetsTheSameDefaultsAsNoBlockForWhatItLeavesOut() throws Exception {
    ObservabilityConfig config = parse("logs_max_count: 50\n");
    assertThat(config.logsMaxCount()).isEqualTo(50);
    assertThat(config.enabled()).isTrue();
    assertThat(config.exporter()).isEqualTo(Exporter.MEMORY);
    assertThat(config.liveSpans()).isTrue();
    assertThat(config.memoryMaxSpans()).isEqualTo(10_000);
    assertThat(config.metricsEnabled()).isTrue();
    assertThat(config.logsEnabled()).isTrue();
    assertThat(config.endpoint()).isNull(); // the OTEL_EXPORTER_OTLP_* variables, then localhost:4317
    assertThat(config.logsBatchSize()).isEqualTo(100);
    assertThat(config.logsFlushIntervalMs()).isEqualTo(5000);
  }

  @Test
  void ratiosAreClampedAndZeroCountsMeanTheDefaults() throws Exception {
    ObservabilityConfig config =
        parse(
            """
            sampling_ratio: 7.5
            logs_sampling_ratio: -1
            memory_max_spans: 0
            metrics_max_count: 0
            metrics_retention_seconds: 0
            logs_max_count: 0
            logs_retention_seconds: 0
            logs_batch_size: 50000
            logs_flush_interval_ms: 1
            sampling:
              default: 2.0
              parent_based: true
              rules:
                - operation: "api.*"
                  rate: -3
                - service: links
                  rate: 0.25
              rate_limit:
                max_traces_per_second: 100
            """);
    assertThat(config.samplingRatio()).isEqualTo(1.0);
    assertThat(config.logsSamplingRatio()).isEqualTo(0.0);
    assertThat(config.memoryMaxSpans()).isEqualTo(10_000);
    assertThat(config.metricsMaxCount()).isEqualTo(10_000);
    assertThat(config.metricsRetentionSeconds()).isEqualTo(3600);
    assertThat(config.logsMaxCount()).isEqualTo(1000);
    assertThat(config.logsRetentionSeconds()).isEqualTo(3600);
    assertThat(config.logsBatchSize()).isEqualTo(10_000);
    assertThat(config.logsFlushIntervalMs()).isEqualTo(100);
    assertThat(config.sampling().defaultRatio()).isEqualTo(1.0);
    assertThat(config.sampling().parentBased()).isTrue();
    assertThat(config.sampling().rules())
        .containsExactly(
            new ObservabilityConfig.SamplingRule("api.*", null, 0.0), new ObservabilityConfig.SamplingRule(null, "links", 0.25));
    assertThat(config.sampling().maxTracesPerSecond()).isEqualTo(100);
  }

  @Test
  void alertsCollapseRulesAndTheRestOfTheKeysAreRead() throws Exception {
    ObservabilityConfig config =
        parse(
            """
            enabled: true
            service_namespace: linkly
            exporter: both
            live_spans: false
            metrics_exporter: otlp
            logs_exporter: both
            level: debug
            format: json
            alerts:
              - name: high-error-rate
                metric: iii.invocations.error
                threshold: 10
                operator: ">"
                window_seconds: 60
                action:
                  type: log
              - name: slow
                metric: iii.latency
                threshold: 2.5
                operator: lessthanorequal
                enabled: false
                cooldown_seconds: 5
                action:
                  type: function
                  path: alerts::notify
            collapse_spans:
              - name: "trigger *"
                service: node-worker
            """);
    assertThat(config.serviceNamespace()).isEqualTo("linkly");
    assertThat(config.exporter()).isEqualTo(Exporter.BOTH);
    assertThat(config.liveSpans()).isFalse();
    assertThat(config.metricsExporter()).isEqualTo(Exporter.OTLP);
    assertThat(config.logsExporter()).isEqualTo(Exporter.BOTH);
    assertThat(config.level()).isEqualTo("debug");
    assertThat(config.format()).isEqualTo("json");
    assertThat(config.alerts()).hasSize(2);
    assertThat(config.alerts().get(0).operator()).isEqualTo(AlertOperator.GREATER_THAN);
    assertThat(config.alerts().get(0).action()).isEqualTo(ObservabilityConfig.AlertAction.LOG);
    assertThat(config.alerts().get(1).operator()).isEqualTo(AlertOperator.LESS_THAN_OR_EQUAL);
    assertThat(config.alerts().get(1).enabled()).isFalse();
    assertThat(config.alerts().get(1).cooldownSeconds()).isEqualTo(5);
    assertThat(config.alerts().get(1).windowSeconds()).isEqualTo(60);
    assertThat(config.alerts().get(1).action()).isEqualTo(new ObservabilityConfig.AlertAction("function", null, "alerts::notify"));
    assertThat(config.collapseSpans()).containsExactly(new ObservabilityConfig.CollapseRule("trigger *", "node-worker"));
  }

  @Test
  void badValuesAreRefusedWithTheKeyNamed() {
    assertThat(refusal("fake_key: 1\n")).contains("workers[0].config.fake_key").contains("unknown key");
    assertThat(refusal("exporter: memroy\n")).contains("workers[0].config.exporter").contains("memory, otlp or both");
    assertThat(refusal("metrics_exporter: both\n")).contains("workers[0].config.metrics_exporter");
    assertThat(refusal("enabled: yes please\n")).contains("workers[0].config.enabled");
    assertThat(refusal("sampling_ratio: lots\n")).contains("workers[0].config.sampling_ratio").contains("number");
    assertThat(refusal("logs_max_count: -1\n")).contains("workers[0].config.logs_max_count");
    assertThat(refusal("logs_retention_seconds: soon\n")).contains("workers[0].config.logs_retention_seconds");
    assertThat(refusal("format: xml\n")).contains("workers[0].config.format");
    assertThat(refusal("sampling:\n  fake: 1\n")).contains("workers[0].config.sampling.fake");
    assertThat(refusal("sampling:\n  rules:\n    - operation: x\n")).contains("workers[0].config.sampling.rules[0].rate");
    assertThat(refusal("sampling:\n  rate_limit:\n    max_traces_per_second: 0\n"))
        .contains("workers[0].config.sampling.rate_limit.max_traces_per_second");
    assertThat(refusal("alerts:\n  - name: a\n    metric: m\n    threshold: 1\n    operator: \"=>\"\n"))
        .contains("workers[0].config.alerts[0].operator");
    assertThat(refusal("alerts:\n  - name: a\n    metric: m\n")).contains("workers[0].config.alerts[0].threshold");
    assertThat(refusal("alerts:\n  - name: a\n    metric: m\n    threshold: 1\n    action:\n      type: webhook\n"))
        .contains("workers[0].config.alerts[0].action.url");
    assertThat(refusal("collapse_spans:\n  - service: s\n")).contains("workers[0].config.collapse_spans[0].name");
    assertThat(refusal("alerts: nope\n")).contains("workers[0].config.alerts");
  }

  @Test
  void anEngineWithABadBlockDoesNotStart() {
    assertThatThrownBy(() -> IiiEngine.start(EngineConfig.ephemeral().withSetting(ObservabilityWorker.NAME, "exporter",
            io.linkly.iii.protocol.Json.mapper().getNodeFactory().textNode("stdout"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("config.exporter");
  }
}
