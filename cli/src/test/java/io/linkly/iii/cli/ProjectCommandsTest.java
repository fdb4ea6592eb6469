package io.linkly.iii.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.LocalWorkerEntry;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.testing.JvmRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tutorial's project commands, each a real {@code iii} process in a temporary directory:
 * {@code project init}, {@code worker add} of built-ins and of a local directory, {@code list},
 * {@code remove}, {@code worker init}, and what they refuse; the files they write are what the
 * engine reads.
 */
class ProjectCommandsTest {

  @TempDir Path dir;

  private JvmRun iii(Path in, String... args) throws Exception {
    return JvmRun.of(List.of(), Main.class, List.of(args), Map.of(), in);
  }

  private static void ok(JvmRun run) {
    assertThat(run.exitCode()).as(run.transcript()).isZero();
  }

  @Test
  void aProjectIsInitialisedAndItsWorkersAddedListedAndRemoved() throws Exception {
    ok(iii(dir, "project", "init", "linkly"));
    Path project = dir.resolve("linkly");
    assertThat(project.resolve(".gitignore")).exists();
    assertThat(Files.readString(project.resolve("README.md"))).startsWith("# linkly");
    ok(iii(project, "worker", "add", "http"));
    ok(iii(project, "worker", "add", "state"));
    ok(iii(project, "worker", "init", "link", "--language", "typescript"));
    assertThat(Files.readString(project.resolve("link/iii.worker.yaml"))).contains("name: link", "start: npm run start");
    assertThat(Files.readString(project.resolve("link/package.json"))).contains("\"iii-sdk\": \"0.22.1\"", "tsx watch src/index.ts");
    assertThat(Files.readString(project.resolve("link/src/index.ts"))).contains("workerName: \"link\"", "process.env.III_URL");
    ok(iii(project, "worker", "add", "./link"));

    JvmRun listed = iii(project, "worker", "list");
    ok(listed);
    assertThat(listed.stdout()).extracting(l -> l.replaceAll(" +", " ").strip())
        .containsExactly("iii-observability engine", "queue engine", "http engine 0.22.1", "state engine 0.22.1", "link local ./link");
    assertThat(Files.readString(project.resolve("iii.lock")))
        .isEqualTo("version: 1\nworkers:\n  http:\n    version: 0.22.1\n    type: engine\n    dependencies: {}\n"
            + "  state:\n    version: 0.22.1\n    type: engine\n    dependencies: {}\n");

    EngineConfig config = EngineConfig.load(project.resolve("config.yaml"), Map.<String, String>of()::get);
    assertThat(config.workers()).extracting(WorkerEntry::name).containsExactly("iii-observability", "iii-queue", "iii-http", "iii-state");
    assertThat(config.localWorkers()).extracting(LocalWorkerEntry::name, LocalWorkerEntry::workerPath).containsExactly(
        org.assertj.core.groups.Tuple.tuple("link", "./link"));

    ok(iii(project, "worker", "remove", "state"));
    assertThat(Files.readString(project.resolve("iii.lock"))).doesNotContain("state");
    assertThat(Files.readString(project.resolve("config.yaml")))
        .contains("# The workers of this iii project") // comments survive the edits
        .contains("  - name: http\n  - name: link\n    worker_path: ./link\n")
        .doesNotContain("name: state");
  }

  @Test
  void whatTheCommandsRefuseIsSaidInOneLineAndChangesNothing() throws Exception {
    ok(iii(dir, "project", "init", "p"));
    Path project = dir.resolve("p");
    String before = Files.readString(project.resolve("config.yaml"));

    JvmRun again = iii(dir, "project", "init", "p");
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.stderr()).anyMatch(l -> l.contains("already exists and is not empty"));
    JvmRun unknown = iii(project, "worker", "add", "nope");
    assertThat(unknown.exitCode()).isEqualTo(1);
    assertThat(unknown.stderr()).anyMatch(l -> l.startsWith("iii: unknown worker 'nope': built-in workers are ") && l.contains("http"));
    JvmRun queueAgain = iii(project, "worker", "add", "queue"); // the template has it
    assertThat(queueAgain.exitCode()).isEqualTo(1);
    assertThat(queueAgain.stderr()).anyMatch(l -> l.contains("'queue' is already in") && l.contains("--force"));
    Files.createDirectories(project.resolve("empty"));
    JvmRun noManifest = iii(project, "worker", "add", "./empty");
    assertThat(noManifest.exitCode()).isEqualTo(1);
    assertThat(noManifest.stderr()).anyMatch(l -> l.contains("iii.worker.yaml: no worker manifest"));
    JvmRun language = iii(project, "worker", "init", "w", "--language", "cobol");
    assertThat(language.exitCode()).isEqualTo(1);
    assertThat(language.stderr()).anyMatch(l -> l.contains("typescript or java"));
    assertThat(project.resolve("w")).doesNotExist();
    JvmRun missing = iii(project, "worker", "remove", "ghost");
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(Files.readString(project.resolve("config.yaml"))).isEqualTo(before);
    assertThat(project.resolve("iii.lock")).doesNotExist();

    JvmRun noProject = iii(dir, "worker", "list");
    assertThat(noProject.exitCode()).isEqualTo(1);
    assertThat(noProject.stderr()).anyMatch(l -> l.contains("config.yaml: no such file"));

    ok(iii(project, "worker", "add", "queue", "--force")); // replaced, not doubled
    assertThat(Files.readString(project.resolve("config.yaml"))).containsOnlyOnce("- name: queue").doesNotContain("name: builtin");
  }
}
