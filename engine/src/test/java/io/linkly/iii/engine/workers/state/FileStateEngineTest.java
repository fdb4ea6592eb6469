package io.linkly.iii.engine.workers.state;

import static io.linkly.iii.engine.workers.state.Wire.json;
import static io.linkly.iii.engine.workers.state.Wire.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.engine.workers.StartupException;
import io.linkly.iii.protocol.Json;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code store_method: file_based} through a real engine: restarts keep every acknowledged write. */
class FileStateEngineTest {

  @TempDir Path dir;

  static EngineConfig fileBased(Path dir) {
    return EngineConfig.ephemeral()
        .withSetting("iii-state", "adapter", json(
            "{\"name\":\"kv\",\"config\":{\"store_method\":\"file_based\",\"file_path\":" + Json.write(Json.mapper().getNodeFactory().textNode(dir.toString())) + "}}"));
  }

  @Test
  void everyAcknowledgedWriteSurvivesARestart() throws Exception {
    int n = 300;
    try (IiiEngine engine = IiiEngine.start(fileBased(dir));
        RawWorker w = RawWorker.connect(engine.workerUrl())) {
      // pipelined: many writes in flight at once share forces
      List<UUID> ids = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        UUID id = UUID.randomUUID();
        ids.add(id);
        w.send("{\"type\":\"invokefunction\",\"invocation_id\":\"" + id + "\",\"function_id\":\"state::set\",\"data\":"
            + "{\"scope\":\"keys\",\"key\":\"k" + i + "\",\"value\":{\"i\":" + i + "}}}");
      }
      for (UUID id : ids) {
        JsonNode reply = w.next(m -> m.path("invocation_id").asText().equals(id.toString()), java.time.Duration.ofSeconds(30));
        assertThat(reply.has("error")).as("reply %s", reply).isFalse();
      }
      result(w, "state::update", "{\"scope\":\"meta\",\"key\":\"count\",\"ops\":[{\"type\":\"set\",\"path\":\"n\",\"value\":" + n + "}]}");
      Wire.call(w, "state::delete", "{\"scope\":\"keys\",\"key\":\"k0\"}");
    }
    try (IiiEngine engine = IiiEngine.start(fileBased(dir));
        RawWorker w = RawWorker.connect(engine.workerUrl())) {
      JsonNode values = result(w, "state::list", "{\"scope\":\"keys\"}");
      List<Integer> seen = new ArrayList<>();
      values.forEach(v -> seen.add(v.get("i").asInt()));
      // concurrent writes land in commit order, which need not be the order they were sent in
      assertThat(seen).containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.range(1, n).boxed().toList());
      assertThat(Wire.call(w, "state::get", "{\"scope\":\"keys\",\"key\":\"k0\"}").has("result")).isFalse();
      assertThat(result(w, "state::get", "{\"scope\":\"meta\",\"key\":\"count\"}").toString()).isEqualTo("{\"n\":" + n + "}");
      assertThat(result(w, "state::list_groups", "{}").toString()).isEqualTo("{\"groups\":[\"keys\",\"meta\"]}");
    }
  }

  @Test
  void aTornTailIsTruncatedAndTheEngineStarts() throws Exception {
    try (IiiEngine engine = IiiEngine.start(fileBased(dir));
        RawWorker w = RawWorker.connect(engine.workerUrl())) {
      result(w, "state::set", "{\"scope\":\"s\",\"key\":\"kept\",\"value\":1}");
    }
    Path journal = journal();
    long size = Files.size(journal);
    Files.write(journal, new byte[] {0, 0, 1}, StandardOpenOption.APPEND);
    try (IiiEngine engine = IiiEngine.start(fileBased(dir));
        RawWorker w = RawWorker.connect(engine.workerUrl())) {
      assertThat(result(w, "state::get", "{\"scope\":\"s\",\"key\":\"kept\"}").asInt()).isEqualTo(1);
    }
    assertThat(Files.size(journal)).isEqualTo(size);
  }

  @Test
  void aCorruptJournalStopsTheStartWithAnErrorNamingTheFile() throws Exception {
    try (IiiEngine engine = IiiEngine.start(fileBased(dir));
        RawWorker w = RawWorker.connect(engine.workerUrl())) {
      for (int i = 0; i < 3; i++) {
        result(w, "state::set", "{\"scope\":\"s\",\"key\":\"k" + i + "\",\"value\":\"" + "v".repeat(20) + "\"}");
      }
    }
    Path journal = journal();
    try (FileChannel ch = FileChannel.open(journal, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      long offset = 8 + 12 + 10; // inside the first record
      ch.read(b, offset);
      ch.write(ByteBuffer.wrap(new byte[] {(byte) (b.get(0) + 1)}), offset);
    }
    assertThatThrownBy(() -> IiiEngine.start(fileBased(dir)))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("iii-state cannot use " + dir)
        .hasMessageContaining(journal.toString())
        .hasMessageContaining("corrupt at offset 8");
  }

  @Test
  void badStateConfigsNameTheKey() {
    assertThatThrownBy(() -> IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "adapter", json("{\"name\":\"rabbitmq\"}"))))
        .hasMessageContaining(".config.adapter.name: adapter 'rabbitmq' is not available in this engine (available: kv, redis, bridge)");
    assertThatThrownBy(() -> IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "adapter",
            json("{\"name\":\"redis\",\"config\":{\"store_method\":\"in_memory\"}}"))))
        .as("each adapter has its own keys")
        .hasMessageContaining(".config.adapter.config.store_method: unknown key (expected one of redis_url)");
    assertThatThrownBy(() -> IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "adapter",
            json("{\"name\":\"redis\",\"config\":{\"redis_url\":\"http://example.com\"}}"))))
        .hasMessageContaining(".config.adapter.config.redis_url: not a Redis URL");
    assertThatThrownBy(() -> IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "adapter",
            json("{\"name\":\"redis\",\"config\":{\"redis_url\":\"redis://u:s3cret@[bad\"}}"))))
        .hasMessageContaining(".config.adapter.config.redis_url: not a Redis URL")
        .hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "adapter",
            json("{\"name\":\"kv\",\"config\":{\"store_method\":\"weird\"}}"))))
        .hasMessageContaining(".config.adapter.config.store_method: must be in_memory or file_based, got 'weird'");
    assertThatThrownBy(() -> IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "adapter",
            json("{\"name\":\"kv\",\"config\":{\"bogus\":1}}"))))
        .hasMessageContaining(".config.adapter.config.bogus: unknown key");
    assertThatThrownBy(() -> IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "triggers_enabledd", json("true"))))
        .hasMessageContaining(".config.triggers_enabledd: unknown key");
    assertThatThrownBy(() -> IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "max_value_bytes", json("0"))))
        .hasMessageContaining(".config.max_value_bytes: must be at least 1, got 0");
    assertThatThrownBy(() -> IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "save_interval_ms", json("99"))))
        .hasMessageContaining(".config.save_interval_ms: must be between 100 and 3600000, got 99");
  }

  private Path journal() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".log")).findFirst().orElseThrow();
    }
  }
}
