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
