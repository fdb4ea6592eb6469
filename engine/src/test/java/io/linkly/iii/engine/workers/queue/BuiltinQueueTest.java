package io.linkly.iii.engine.workers.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.protocol.Json;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The queue scenarios on the embedded, file-backed adapter, plus what only it has: its journal and bounds. */
class BuiltinQueueTest extends QueueScenarios {

  private boolean inMemory;

  @Override
  protected ObjectNode adapter() {
    ObjectNode adapter = Json.object().put("name", "builtin");
    ObjectNode config = adapter.putObject("config").put("file_path", dir.resolve("queue").toString());
    if (inMemory) {
      config.put("store_method", "in_memory");
    }
    return adapter;
  }

  private Path journal() {
    return dir.resolve("queue").resolve("queue.journal");
  }

  @Test
  void aFullStoreRefusesTheEnqueueInsteadOfGrowing() throws Exception {
    ObjectNode adapter = adapter();
    ((ObjectNode) adapter.get("config")).put("max_messages", 3);
    ObjectNode config = Json.object();
    config.set("adapter", adapter);
    config.set("queue_configs", queues("clicks", settings("concurrency", 1)));
    engine = IiiEngine.start(EngineConfig.ephemeral().with(QueueWorker.NAME, config));
    client = new QueueClient(engine.workerUrl());
    engine.core().registerFunction(
        engine.core().registerBuiltinWorker("hang"), io.linkly.iii.engine.core.FunctionDefinition.of("hang::fn", "never answers"),
        call -> new CompletableFuture<>());

    for (int i = 0; i < 3; i++) {
      client.enqueued("clicks", "hang::fn", QueueClient.payload("n", i));
    }
    JsonNode refused = client.enqueue("clicks", "hang::fn", QueueClient.payload("n", 3));

    assertThat(refused.get("error").get("code").asText()).isEqualTo("enqueue_error");
    assertThat(refused.get("error").get("message").asText()).contains("cannot take more messages", "max_messages");
  }

  @Test
  void theInMemoryStoreWorksButKeepsNothing() throws Exception {
    inMemory = true; // with a file_path, which in_memory must leave unused
    ObjectNode config = queues("clicks", settings("backoff_ms", 10, "concurrency", 1));
    start(config);
    Recorder r = handler("m::fn", Recorder.failingFirst(1));
    client.enqueued("clicks", "m::fn", QueueClient.payload("n", 1));
    await().atMost(Duration.ofSeconds(10)).until(() -> r.count() == 2); // a retry works in memory
    AtomicInteger started = new AtomicInteger();
    handler("m::hang", call -> {
      started.incrementAndGet();
      return new CompletableFuture<>();
    });
    for (int i = 0; i < 3; i++) { // one in flight, two waiting
      client.enqueued("clicks", "m::hang", QueueClient.payload("n", i));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> started.get() == 1);

    Set<Integer> afterRestart = ConcurrentHashMap.newKeySet();
    Set<String> markers = ConcurrentHashMap.newKeySet();
    restart(config, Map.of(
        "m::hang", BuiltinFunction.sync(call -> {
          afterRestart.add(call.data().get("n").asInt());
          return Json.object();
        }),
        "m::marker", BuiltinFunction.sync(call -> {
          markers.add(call.data().get("m").asText());
          return Json.object();
        })));
    client.enqueued("clicks", "m::marker", QueueClient.payload("m", "after"));

    // one at a time and in order: a message kept from before would be delivered before the marker
    await().atMost(Duration.ofSeconds(10)).until(() -> markers.contains("after"));
    assertThat(afterRestart).as("nothing survives a restart in memory").isEmpty();
    assertThat(dir.resolve("queue")).as("file_path is not used").doesNotExist();
  }

  @Test
  void aTornTailIsTruncatedAndEverythingBeforeItIsDelivered() throws Exception {
    ObjectNode config = queues("clicks", settings("concurrency", 10));
    start(config); // late::fn does not exist yet: the messages wait for it
    for (int i = 0; i < 10; i++) {
      client.enqueued("clicks", "late::fn", QueueClient.payload("n", i));
    }
    stopEngine();
    long intact = Files.size(journal());
    try (RandomAccessFile file = new RandomAccessFile(journal().toFile(), "rw")) {
      file.seek(intact);
      file.writeInt(500); // a frame header promising more than was written
      file.writeInt(0x1234);
      file.write(new byte[] {1, 2, 3});
    }

    Set<Integer> delivered = ConcurrentHashMap.newKeySet();
    start(config, Map.of("late::fn", call -> { // all ten in flight at once, none finished: nothing more is written
      delivered.add(call.data().get("n").asInt());
      return new CompletableFuture<>();
    }));

    await().atMost(Duration.ofSeconds(10)).until(() -> delivered.size() == 10);
    assertThat(Files.size(journal())).as("the torn frame is gone").isEqualTo(intact);
  }

  @Test
  void corruptionInTheMiddleOfTheJournalFailsStartWithAClearError() throws Exception {
    ObjectNode config = queues("clicks", settings("concurrency", 1));
    start(config);
    for (int i = 0; i < 10; i++) {
      client.enqueued("clicks", "absent::fn", QueueClient.payload("n", i, "pad", "x".repeat(50)));
    }
    stopEngine();
    try (RandomAccessFile file = new RandomAccessFile(journal().toFile(), "rw")) {
      file.seek(40); // inside the first record, with valid records after it
      file.write(0x5A ^ file.readByte());
    }
    ObjectNode queueConfig = Json.object();
    queueConfig.set("adapter", adapter());
    queueConfig.set("queue_configs", config);

    assertThatThrownBy(() -> IiiEngine.start(EngineConfig.ephemeral().with(QueueWorker.NAME, queueConfig)))
        .hasMessageContaining("is corrupt at byte")
        .hasMessageContaining("refusing to start");
  }
}
