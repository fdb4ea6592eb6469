package io.linkly.iii.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkly.testing.JvmRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code iii} (its {@code serve} command, the default) with a config it cannot use: exactly one
 * line on stderr naming the problem, exit code 2, no stack trace and no log noise.
 */
class ServeConfigErrorsTest {

  @TempDir Path dir;

  private JvmRun serve(String... args) throws Exception {
    return JvmRun.of(List.of(), Main.class, List.of(args), Map.of(), dir);
  }

  @Test
  void anUnknownKeyIsOneLineNamingItAndExitCode2() throws Exception {
    Path config = Files.writeString(dir.resolve("config.yaml"),
        "workers:\n  - name: iii-worker-manager\n    config:\n      port: 0\n      prot: 1\n");
    JvmRun run = serve("--config", config.toString());
    assertThat(run.exitCode()).as(run.transcript()).isEqualTo(2);
    assertThat(run.said()).as(run.transcript()).hasSize(1);
    assertThat(run.said().get(0)).as(run.transcript()).startsWith("iii: config error: ").contains("prot", "unknown key");
    assertThat(run.loggedProblems()).as(run.transcript()).isEmpty();
  }

  @Test
  void yamlThatDoesNotParseIsOneLineAndExitCode2() throws Exception {
    Path config = Files.writeString(dir.resolve("config.yaml"), "workers: [\n  - name: {\n");
    JvmRun run = serve("--config", config.toString());
    assertThat(run.exitCode()).as(run.transcript()).isEqualTo(2);
    assertThat(run.said()).as(run.transcript()).hasSize(1);
    assertThat(run.said().get(0)).as(run.transcript()).startsWith("iii: config error: ");
  }

  @Test
  void aMissingConfigFileIsOneLineAndExitCode2() throws Exception {
    JvmRun run = serve("--config", dir.resolve("nope.yaml").toString());
    assertThat(run.exitCode()).as(run.transcript()).isEqualTo(2);
    assertThat(run.said()).as(run.transcript())
        .containsExactly("iii: config error: " + dir.resolve("nope.yaml") + ": no such file");
  }
}
