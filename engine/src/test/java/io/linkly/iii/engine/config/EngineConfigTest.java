package io.linkly.iii.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.workers.BuiltinWorkers;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EngineConfigTest {

  private static EngineConfig parse(String yaml, Map<String, String> env) throws ConfigException {
    return EngineConfig.parse(yaml, env::get);
  }

  @Test
  void substitutesEnvironmentVariablesBeforeParsing() throws Exception {
    EngineConfig config =
        parse(
            """
            workers:
              - name: iii-worker-manager
                config:
                  port: ${III_PORT:49134}
                  host: ${III_HOST:127.0.0.1}
                  handshake_timeout_ms: ${EMPTY:5}
            """,
            Map.of("III_PORT", "0", "EMPTY", "7"));
    var block = config.workers().get(0).config();
    assertThat(block.get("port").isInt()).as("substituted text is typed by YAML").isTrue();
    assertThat(block.get("port").asInt()).isZero();
    assertThat(block.get("host").asText()).isEqualTo("127.0.0.1");
    assertThat(block.get("handshake_timeout_ms").asInt()).isEqualTo(7);
  }

  @Test
  void anUnsetVariableWithoutDefaultIsReported() {
    assertThatThrownBy(() -> parse("workers:\n  - name: iii-worker-manager\n    config: {port: ${NOPE}}\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("NOPE")
        .hasMessageContaining("line 3");
  }

  @Test
  void badConfigsNameTheKey() {
    assertThatThrownBy(() -> parse("wokers: []\n", Map.of())).hasMessageStartingWith("wokers:");
    assertThatThrownBy(() -> parse("workers:\n", Map.of())).hasMessageStartingWith("workers:");
    assertThatThrownBy(() -> parse("workers:\n  - config: {}\n", Map.of())).hasMessageStartingWith("workers[0].name");
    assertThatThrownBy(() -> BuiltinWorkers.standard().create(parse("workers:\n  - name: iii-nope\n", Map.of())))
        .hasMessageStartingWith("workers[0].name: unknown worker 'iii-nope'");
    assertThatThrownBy(
            () -> BuiltinWorkers.standard().create(
                parse("workers:\n  - name: iii-worker-manager\n    config: {prot: 1}\n", Map.of())))
        .hasMessageStartingWith("workers[0].config.prot: unknown key");
    assertThatThrownBy(
            () -> BuiltinWorkers.standard().create(
                parse("workers:\n  - name: iii-worker-manager\n    config: {port: 70000}\n", Map.of())))
        .hasMessageStartingWith("workers[0].config.port: must be a port number");
    assertThatThrownBy(() -> parse("workers: [\n", Map.of())).hasMessageStartingWith("invalid YAML");
  }

  @Test
  void theTutorialsRegistryNamesAreTheBuiltInsAndLocalWorkersAreKeptApart() throws Exception {
    EngineConfig config = parse("workers:\n  - name: http\n    config: {port: 0}\n  - name: state\n"
        + "  - name: link\n    worker_path: ./link\n", Map.of());
    assertThat(config.workers()).extracting(WorkerEntry::name).containsExactly("iii-http", "iii-state");
    assertThat(config.localWorkers()).containsExactly(new LocalWorkerEntry("link", "./link", "workers[2]"));
    assertThatThrownBy(() -> parse("workers:\n  - name: http\n  - name: iii-http\n", Map.of()))
        .hasMessage("workers[1].name: Duplicate worker configurations: 'http' and 'iii-http' are the same worker");
    assertThatThrownBy(() -> parse("workers:\n  - name: link\n    worker_path: 3\n", Map.of()))
        .hasMessageStartingWith("workers[0].worker_path");
    try (IiiEngine engine = IiiEngine.start(config.withWorkerPort(0))) {
      assertThat(engine.core().function("state::get")).isPresent();
    }
  }

  /**
   * The workers and keys of the config upstream's Node SDK tests start their engine with
   * ({@code sdk/fixtures/config-test.yaml}: an RBAC listener with middleware and hooks, file-based
   * state and stream, observability from placeholders, HTTP functions for loopback, cron), with
   * ports 0 and files in a temp directory: the engine starts on it.
   */
  @Test
  void theNodeSdkTestSetUpStarts(@org.junit.jupiter.api.io.TempDir java.nio.file.Path data) throws Exception {
    String yaml = """
        workers:
          - name: iii-worker-manager
            config: {port: 0}
          - name: iii-worker-manager
            config:
              host: 127.0.0.1
              port: 0
              middleware_function_id: test::mw
              rbac:
                auth_function_id: test::auth
                on_function_registration_function_id: test::on-fn
                on_trigger_registration_function_id: test::on-trigger
                on_trigger_type_registration_function_id: test::on-type
                expose_functions: ['match("test::public::*")', {metadata: {public: true}}]
          - name: iii-stream
            config: {port: ${STREAM_PORT:0}, host: 127.0.0.1, adapter: {name: kv, config: {store_method: file_based, file_path: DATA/stream}}}
          - name: iii-state
            config: {adapter: {name: kv, config: {store_method: file_based, file_path: DATA/state.db}}}
          - name: iii-http
            config: {host: 127.0.0.1, port: 0, default_timeout: 30000}
          - name: iii-pubsub
            config: {adapter: {name: local}}
          - name: iii-observability
            config:
              enabled: ${OTEL_ON:true}
              service_name: ${NAME:iii-test}
              exporter: ${EXPORTER:memory}
              endpoint: ${ENDPOINT:http://localhost:4317}
              sampling_ratio: 1.0
              memory_max_spans: ${SPANS:10000}
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
          - name: iii-http-functions
            config: {security: {url_allowlist: [localhost, 127.0.0.1], block_private_ips: false, require_https: false}}
          - name: iii-cron
            config: {adapter: {name: kv}}
        """.replace("DATA", data.toString());
    try (IiiEngine engine = IiiEngine.start(parse(yaml, Map.of()))) {
      assertThat(engine.workerUrls()).hasSize(2);
      assertThat(engine.core().function("state::get")).isPresent();
    }
  }

  @Test
  void portZeroBindsAnEphemeralPortAndTwoListenersShareOneRegistry() throws Exception {
    EngineConfig config =
        parse(
            """
            workers:
              - name: iii-worker-manager
                config: {port: 0}
              - name: iii-worker-manager
                config: {port: 0}
            """,
            Map.of());
    try (IiiEngine engine = IiiEngine.start(config)) {
      assertThat(engine.workerPort()).isPositive();
      assertThat(engine.core().function("engine::functions::list")).isPresent();
    }
  }
}
