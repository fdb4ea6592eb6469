package io.linkly.iii.engine.workers.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Nothing acknowledged is lost: an engine in a child JVM acknowledges enqueued clicks whose handler
 * never finishes, and is killed with SIGKILL while a few are being processed and the rest wait;
 * an engine started afterwards on the same store delivers every acknowledged click, the ones that
 * were in processing included. The queue is at-least-once, so the handler here is idempotent (a
 * set), as Linkly's must be.
 */
class QueueDurabilityTest {

  private static final int CLICKS = 1_000;
  private static final int SENT = 1_200; // the last ones may or may not be acknowledged before the kill

  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"builtin", "rabbitmq"})
  void everyAcknowledgedClickIsDeliveredAfterAKill9(String adapterName) throws Exception {
    Rabbit rabbit = null;
    ObjectNode adapter = Json.object().put("name", adapterName);
    if (adapterName.equals("rabbitmq")) {
      Rabbit.requireBroker(getClass().getSimpleName() + "[rabbitmq]");
      rabbit = new Rabbit();
      adapter.putObject("config").put("amqp_url", Rabbit.URL).put("namespace", rabbit.namespace());
      rabbit.usesNamed("clicks", new Retry(5, 1000));
      rabbit.usesNamed("default", Retry.DEFAULTS);
    } else {
      adapter.putObject("config").put("file_path", dir.resolve("queue").toString());
    }
    try {
      run(adapter);
    } finally {
      if (rabbit != null) {
        rabbit.deleteAll();
      }
    }
  }

  private void run(ObjectNode adapter) throws Exception {
    Path ready = dir.resolve("ready");
    Path started = dir.resolve("started");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(
                java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                QueueDurabilityChild.class.getName(), Json.write(adapter), ready.toString(), started.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile())
            .start();
    Set<Integer> acknowledged = new HashSet<>();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(ready) || !child.isAlive());
      assertThat(child.isAlive()).as("child engine started (see child.log)").isTrue();
      try (QueueClient client = new QueueClient(Files.readString(ready))) {
        Map<String, Integer> pending = new HashMap<>();
        for (int n = 0; n < SENT; n++) {
          pending.put(client.sendEnqueue("clicks", QueueDurabilityChild.FUNCTION, QueueClient.payload("code", "iii", "n", n)), n);
        }
        while (acknowledged.size() < CLICKS) {
          JsonNode answer = client.worker().next("invocationresult", Duration.ofSeconds(30));
          assertThat(answer).as("acknowledgements keep coming").isNotNull();
          record(answer, pending, acknowledged);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(started) && !Files.readString(started).isBlank());
        child.destroyForcibly(); // SIGKILL: no shutdown hooks, no close, no flush
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        for (JsonNode late : client.worker().drain(Duration.ofMillis(200))) {
          record(late, pending, acknowledged);
        }
      }
    } finally {
      child.destroyForcibly();
    }
    Set<Integer> inProcessing = new HashSet<>();
    for (String line : Files.readAllLines(started)) {
      if (!line.isBlank()) {
        inProcessing.add(Integer.parseInt(line.trim()));
      }
    }

    Map<Integer, AtomicInteger> delivered = new ConcurrentHashMap<>();
    BuiltinFunction idempotent =
        BuiltinFunction.sync(
            call -> {
              delivered.computeIfAbsent(call.data().get("n").asInt(), k -> new AtomicInteger()).incrementAndGet();
              return Json.object();
            });
    try (IiiEngine again = QueueDurabilityChild.engine(adapter, idempotent);
        QueueClient stats = new QueueClient(again.workerUrl())) {
      await().atMost(Duration.ofSeconds(120)).until(() -> delivered.keySet().containsAll(acknowledged));
      // settled: nothing waits, nothing is in flight, and every call made has completed
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        JsonNode clicks = stats.result("engine::queue::topic_stats", "queue", "clicks");
        long calls = delivered.values().stream().mapToLong(AtomicInteger::get).sum();
        return clicks.get("depth").asLong() == 0 && clicks.path("in_flight").asLong(0) == 0
            && clicks.get("drained_total").asLong() == calls;
      });
      int duplicates = delivered.values().stream().mapToInt(c -> c.get() - 1).sum();
      System.out.printf(
          "queue durability (%s): %d of %d enqueues acknowledged before the kill, %d in processing at the kill;"
              + " %d distinct clicks delivered after restart, %d duplicate deliveries%n",
          adapter.get("name").asText(), acknowledged.size(), SENT, inProcessing.size(), delivered.size(), duplicates);
      assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(CLICKS);
      assertThat(delivered.keySet()).as("every acknowledged click is delivered").containsAll(acknowledged);
      assertThat(inProcessing).as("some clicks were being processed at the kill").isNotEmpty();
      assertThat(delivered.keySet()).as("those in processing at the kill are redelivered").containsAll(inProcessing);
      assertThat(delivered.keySet()).as("nothing that was never sent").allMatch(n -> n >= 0 && n < SENT);
      // the killed engine completed nothing, and this one is not killed: each stored click, the
      // ones in processing at the kill included, is handed over once
      assertThat(duplicates).as("duplicate deliveries after the restart").isZero();
    }
  }

  private static void record(JsonNode answer, Map<String, Integer> pending, Set<Integer> acknowledged) {
    if (!"invocationresult".equals(answer.path("type").asText())) {
      return;
    }
    Integer n = pending.get(answer.path("invocation_id").asText());
    if (n != null && answer.has("result") && answer.get("result").has("messageReceiptId")) {
      acknowledged.add(n);
    }
  }

}
