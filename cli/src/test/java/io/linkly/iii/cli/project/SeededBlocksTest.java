package io.linkly.iii.cli.project;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.linkly.iii.cli.Main;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.testing.JvmRun;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * BUILTINS.md §0.5 step 7: a config.yaml block whose value the configuration worker already stores
 * is replaced by a comment saying where the value lives, and nothing else in the file changes.
 */
class SeededBlocksTest {

  @TempDir Path dir;

  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(errBytes, true, UTF_8);

  private Path config(String yaml) throws Exception {
    return Files.writeString(dir.resolve("config.yaml"), yaml);
  }

  /** A file as the configuration worker's fs adapter writes it, under {@code directory} in the test's directory. */
  private void store(String directory, String id, String valueYaml) throws Exception {
    Path file = dir.resolve(directory).resolve(id + ".yaml");
    Files.createDirectories(file.getParent());
    Files.writeString(file, "id: " + id + "\nname: " + id + "\ndescription: stored by an earlier boot\nvalue:" + valueYaml + "\n");
  }

  /** What {@code iii} does on boot: load the file, then strip, with the test's directory as the working directory. */
  private List<String> strip(Path file) throws Exception {
    return SeededBlocks.strip(file, EngineConfig.load(file, Map.<String, String>of()::get), dir, err);
  }

  private List<String> said() {
    return errBytes.toString(UTF_8).lines().toList();
  }

  private static String comment(String indent, String id, String location) {
    return indent + "# '" + id + "': value now lives in the configuration worker at " + location
        + ". Edit at runtime via 'iii config set " + id + "' (or 'configuration::set'); this block is no longer read.";
  }

  private static final String TWO_BLOCKS = """
      # engine config for the tests
      workers:
        # the API, stored since the last boot
        - name: http
          config:
            port: 3111
            # origins a browser may call from

            cors:
              allowed_origins: ["*"]

        # streams: nothing stored yet
        - name: iii-stream
          config:
            port: ${STREAM_PORT:3112}
        - name: iii-cron
      """;

  @Test
  void aStoredBlockBecomesTheCommentAndEverythingElseStaysByteForByte() throws Exception {
    Path file = config(TWO_BLOCKS);
    store("config", "iii-http", "\n  port: 3111");

    assertThat(strip(file)).containsExactly("iii-http");

    assertThat(Files.readString(file)).isEqualTo("""
        # engine config for the tests
        workers:
          # the API, stored since the last boot
          - name: http
        %s

          # streams: nothing stored yet
          - name: iii-stream
            config:
              port: ${STREAM_PORT:3112}
          - name: iii-cron
        """.formatted(comment("    ", "iii-http", "./config/iii-http.yaml")));
    assertThat(said()).containsExactly(
        "iii: " + file + ": the 'iii-http' block now lives in ./config/iii-http.yaml; removed it from config.yaml");
    assertThat(dir.resolve("config")).isDirectoryNotContaining("glob:**iii-stream*");
  }

  @Test
  void aSecondStripChangesNothing() throws Exception {
    Path file = config(TWO_BLOCKS);
    store("config", "iii-http", "\n  port: 3111");
    strip(file);
    String once = Files.readString(file);
    errBytes.reset();

    assertThat(strip(file)).isEmpty();

    assertThat(Files.readString(file)).isEqualTo(once);
    assertThat(said()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"value: null", "value:", "", "id: iii-http", "- not\n- a mapping", "value: [unclosed"})
  void aValueThatIsNullAbsentOrUnreadableLeavesTheBlock(String stored) throws Exception {
    Path file = config(TWO_BLOCKS);
    Files.createDirectories(dir.resolve("config"));
    Files.writeString(dir.resolve("config/iii-http.yaml"), stored + "\n");

    assertThat(strip(file)).isEmpty();

    assertThat(Files.readString(file)).isEqualTo(TWO_BLOCKS);
    assertThat(said()).isEmpty();
  }

  @Test
  void noStoredFileLeavesTheBlock() throws Exception {
    Path file = config(TWO_BLOCKS);

    assertThat(strip(file)).isEmpty();

    assertThat(Files.readString(file)).isEqualTo(TWO_BLOCKS);
    assertThat(said()).isEmpty();
  }

  @Test
  void theMemoryAdapterStoresNothingSoNothingIsStripped() throws Exception {
    String yaml = TWO_BLOCKS + "  - name: configuration\n    config:\n      adapter:\n        name: memory\n";
    Path file = config(yaml);
    store("config", "iii-http", "\n  port: 3111"); // where fs would look: not this engine's store

    assertThat(strip(file)).isEmpty();

    assertThat(Files.readString(file)).isEqualTo(yaml);
  }

  @Test
  void aCustomDirectoryIsWhereValuesAreReadAndWhatTheCommentNames() throws Exception {
    Path file = config("""
        workers:
          - name: configuration
            config:
              adapter:
                name: fs
                config:
                  directory: ./settings
          - name: iii-state
            config:
              adapter:
                name: kv
          - name: iii-stream
            config:
              port: 3112
        """);
    store("settings", "iii-state", "\n  adapter:\n    name: kv");
    store("config", "iii-stream", "\n  port: 3112"); // the default directory is not this engine's store

    assertThat(strip(file)).containsExactly("iii-state");

    assertThat(Files.readString(file)).isEqualTo("""
        workers:
          - name: configuration
            config:
              adapter:
                name: fs
                config:
                  directory: ./settings
          - name: iii-state
        %s
          - name: iii-stream
            config:
              port: 3112
        """.formatted(comment("    ", "iii-state", "./settings/iii-state.yaml")));
  }

  @Test
  void theConfigurationBlockOtherWorkersAndLocalWorkersAreNeverStripped() throws Exception {
    String yaml = """
        workers:
          - name: configuration
            config:
              ttl_seconds: 0
          - name: iii-exec
            config:
              exec: ["true"]
          - name: http
            worker_path: ./http
            config:
              port: 3111
        """;
    Path file = config(yaml);
    store("config", "configuration", "\n  ttl_seconds: 0");
    store("config", "iii-exec", "\n  exec: [\"true\"]");
    store("config", "iii-http", "\n  port: 3111");

    assertThat(strip(file)).isEmpty();

    assertThat(Files.readString(file)).isEqualTo(yaml);
    assertThat(said()).isEmpty();
  }

  @Test
  void aLocalWorkerNamedLikeABuiltInKeepsItsBlockWhileTheBuiltInsGoes() throws Exception {
    Path file = config("""
        workers:
          - name: http
            worker_path: ./http
            config:
              port: 3111
          - name: iii-http
            config:
              port: 3111
        """);
    store("config", "iii-http", "\n  port: 3111");

    assertThat(strip(file)).containsExactly("iii-http");

    assertThat(Files.readString(file)).isEqualTo("""
        workers:
          - name: http
            worker_path: ./http
            config:
              port: 3111
          - name: iii-http
        %s
        """.formatted(comment("    ", "iii-http", "./config/iii-http.yaml")));
  }

  /** As upstream: only an id's first entry seeds, so a second entry of it is left for the person to sort out. */
  @Test
  void onlyTheFirstEntryOfAnIdIsStripped() throws Exception {
    String second = "modules:\n  - name: iii-stream\n    config:\n      port: 3113\n";
    Path file = config("workers:\n  - name: iii-stream\n    config:\n      port: 3112\n" + second);
    store("config", "iii-stream", " {port: 3112}");

    assertThat(strip(file)).containsExactly("iii-stream");

    assertThat(Files.readString(file))
        .isEqualTo("workers:\n  - name: iii-stream\n" + comment("    ", "iii-stream", "./config/iii-stream.yaml") + "\n" + second);
  }

  @Test
  void everyConfigurableBuiltInIsStrippedUnderEitherName() throws Exception {
    Path file = config("""
        workers:
          - name: iii-http
            config: {port: 3111}
          - name: stream-not-a-name
        modules:
          - name: state
            config:
              adapter: {name: kv}
          - name: pubsub
            config:
              adapter: {name: local}
          - name: queue
            config:
              adapter: {name: builtin}
          - name: cron
            config:
              adapter: {name: kv}
          - name: iii-observability
            config:
              logs_console_output: false
        """);
    for (String id : List.of("iii-http", "iii-state", "iii-pubsub", "iii-queue", "iii-cron", "iii-observability")) {
      store("config", id, " {}");
    }

    assertThat(strip(file)).containsExactly("iii-http", "iii-state", "iii-pubsub", "iii-queue", "iii-cron", "iii-observability");

    assertThat(Files.readString(file)).doesNotContain("config:", "adapter", "port").contains("  - name: stream-not-a-name\n");
  }

  @Test
  void crlfLineEndingsAndAMissingFinalNewlineArePreserved() throws Exception {
    Path file = config("workers:\r\n  - name: iii-cron\r\n  - name: cron-a\r\n    config:\r\n      x: 1\r\n  - name: iii-pubsub\r\n"
        + "    config:\r\n      adapter: {name: local}");
    store("config", "iii-pubsub", " {}");

    strip(file);

    assertThat(Files.readString(file)).isEqualTo("workers:\r\n  - name: iii-cron\r\n  - name: cron-a\r\n    config:\r\n      x: 1\r\n"
        + "  - name: iii-pubsub\r\n" + comment("    ", "iii-pubsub", "./config/iii-pubsub.yaml"));
  }

  @Test
  void anIndentlessListAndKeysAroundTheBlockAreHandled() throws Exception {
    Path file = config("""
        workers:
        - name: iii-http
          config:
            port: 3111
            middleware:
            - name: cors
              config: {}
          # kept: it is not inside the block
        - name: iii-queue
        """);
    store("config", "iii-http", " {port: 3111}");

    strip(file);

    assertThat(Files.readString(file)).isEqualTo("""
        workers:
        - name: iii-http
        %s
          # kept: it is not inside the block
        - name: iii-queue
        """.formatted(comment("  ", "iii-http", "./config/iii-http.yaml")));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "workers:\n  - config:\n      port: 3111\n    name: http\n",
      "workers: [{name: http, config: {port: 3111}}]\n",
      "workers:\n  - name: http\n    config: {\n      port: 3111\n    }\n"})
  void aFormThisCannotEditSafelyIsLeftAloneWithAWarning(String yaml) throws Exception {
    Path file = config(yaml);
    store("config", "iii-http", " {port: 3111}");

    assertThat(strip(file)).isEmpty();

    assertThat(Files.readString(file)).isEqualTo(yaml);
    assertThat(said()).singleElement().asString()
        .startsWith("iii: warning: " + file + ": the 'iii-http' block now lives in ./config/iii-http.yaml but was left in place: ");
  }

  @Test
  void aReadOnlyFileIsLeftAloneWithAWarning() throws Exception {
    Path file = config(TWO_BLOCKS);
    store("config", "iii-http", "\n  port: 3111");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
    assumeFalse(Files.isWritable(file), "this user (root?) writes through permissions; run as another user to check this");

    assertThat(strip(file)).isEmpty();

    assertThat(Files.readString(file)).isEqualTo(TWO_BLOCKS);
    assertThat(said()).singleElement().asString().startsWith("iii: warning: " + file + ": cannot remove");
  }

  @Test
  void theBootThatSeedsStripsNothingAndTheNextOneStripsWhatItSeeded() throws Exception {
    Path store = dir.resolve("store");
    Path file = config("""
        workers:
          - name: iii-worker-manager
            config:
              port: 0
          - name: configuration
            config:
              adapter:
                name: fs
                config:
                  directory: %s
          - name: iii-stream
            config:
              port: 0
        """.formatted(store));

    String seeding = Files.readString(file);

    assertThat(strip(file)).isEmpty();
    try (IiiEngine engine = IiiEngine.start(EngineConfig.load(file, Map.<String, String>of()::get))) {
      assertThat(store.resolve("iii-stream.yaml")).exists();
    }
    assertThat(Files.readString(file)).isEqualTo(seeding);

    assertThat(strip(file)).containsExactly("iii-stream");

    assertThat(Files.readString(file)).endsWith("  - name: iii-stream\n" + comment("    ", "iii-stream", store.resolve("iii-stream.yaml").toString()) + "\n");
  }

  @Test
  void serveStripsBeforeTheEngineStarts() throws Exception {
    // an unknown key in another block makes the start fail right after the strip, so the command ends
    Path file = config("""
        workers:
          - name: iii-worker-manager
            config:
              port: 0
              prot: 1
          - name: http
            config:
              port: 0
        """);
    store("config", "iii-http", "\n  port: 0");

    JvmRun run = JvmRun.of(List.of(), Main.class, List.of("--config", "config.yaml"), Map.of(), dir);

    assertThat(run.exitCode()).as(run.transcript()).isEqualTo(2);
    assertThat(run.said()).as(run.transcript()).hasSize(2);
    assertThat(run.said().get(0)).isEqualTo(
        "iii: config.yaml: the 'iii-http' block now lives in ./config/iii-http.yaml; removed it from config.yaml");
    assertThat(run.said().get(1)).startsWith("iii: config error: ").contains("prot");
    assertThat(Files.readString(file)).endsWith("  - name: http\n" + comment("    ", "iii-http", "./config/iii-http.yaml") + "\n");
  }
}
