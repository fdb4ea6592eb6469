package io.linkly.iii.engine.workers.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.protocol.Json;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue's guarantees, written once and run against every adapter: a real engine on ephemeral
 * ports, callers over a real worker socket, handlers as in-process functions.
 */
abstract class QueueScenarios {

  private static final java.util.concurrent.ExecutorService VIRTUAL = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

  @TempDir Path dir;
  protected IiiEngine engine;
  protected QueueClient client;
  private Worker functions;

  /** The {@code adapter:} block. */
  protected abstract ObjectNode adapter();

  /** Called for every queue a test uses, so a broker-backed adapter can clean up. */
  protected void uses(String internalQueue, Retry retry, String topic) {}

  @AfterEach
  void stopEngine() {
    if (client != null) {
      client.close();
      client = null;
    }
    if (engine != null) {
      engine.close();
      engine = null;
    }
  }

  static ObjectNode queues(Object... nameAndSettings) {
    ObjectNode out = Json.object();
    for (int i = 0; i < nameAndSettings.length; i += 2) {
      out.set((String) nameAndSettings[i], (JsonNode) nameAndSettings[i + 1]);
    }
    return out;
  }

  static ObjectNode settings(Object... keysAndValues) {
    return QueueClient.payload(keysAndValues);
  }

  protected void start(ObjectNode queueConfigs) throws Exception {
    start(queueConfigs, Map.of());
  }

  /** Starts an engine whose {@code early} functions exist before the queue starts delivering. */
  protected void start(ObjectNode queueConfigs, Map<String, BuiltinFunction> early) throws Exception {
    ObjectNode config = Json.object();
    config.set("adapter", adapter());
    config.set("queue_configs", queueConfigs);
    uses(io.linkly.iii.engine.workers.queue.adapter.QueueSpec.namedKey("default"), Retry.DEFAULTS, null);
    queueConfigs.fieldNames().forEachRemaining(
        name -> {
          JsonNode s = queueConfigs.get(name);
          uses(
              io.linkly.iii.engine.workers.queue.adapter.QueueSpec.namedKey(name),
              new Retry(s.path("max_retries").asInt(3), s.path("backoff_ms").asLong(1000)),
              null);
        });
    EngineConfig engineConfig = EngineConfig.ephemeral();
    if (!early.isEmpty()) {
      engineConfig = engineConfig.with(HandlersWorker.NAME, null);
    }
    engine = IiiEngine.start(engineConfig.with(QueueWorker.NAME, config), HandlersWorker.catalogue(early), Clock.systemUTC());
    functions = engine.core().registerBuiltinWorker("test-functions");
    client = new QueueClient(engine.workerUrl());
  }

  protected void restart(ObjectNode queueConfigs, Map<String, BuiltinFunction> early) throws Exception {
    stopEngine();
    start(queueConfigs, early);
  }

  protected void handler(String id, BuiltinFunction function) {
    engine.core().registerFunction(functions, FunctionDefinition.of(id, "test handler"), function);
  }

  protected Recorder handler(String id, Recorder recorder) {
    handler(id, recorder.function());
    return recorder;
  }

  protected void subscribe(String bindingId, String topic, String functionId, ObjectNode extra) {
    ObjectNode config = Json.object().put("topic", topic);
    if (extra != null) {
      config.setAll(extra);
    }
    JsonNode q = config.path("queue_config");
    uses(
        io.linkly.iii.engine.workers.queue.adapter.QueueSpec.topicKey(topic, functionId),
        new Retry(q.path("maxRetries").asInt(3), q.path("backoffDelayMs").asLong(1000)),
        topic);
    assertThat(engine.core().registerTrigger(new TriggerBinding(bindingId, QueueWorker.TRIGGER_TYPE, functionId, config, null, null)))
        .isEmpty();
  }

  /** Topic consumers start off the registering thread; waits until {@code count} run for {@code topic}. */
  protected void awaitConsumers(String topic, int count) {
    await().atMost(Duration.ofSeconds(10))
        .until(() -> client.result("engine::queue::topic_stats", "topic", topic).path("active_consumers").asInt() == count);
  }

  // ------------------------------------------------------------------ named queues

  @Test
  void anEnqueueActionIsAnsweredWithItsReceiptAndDeliversTheExactPayload() throws Exception {
    start(queues("clicks", settings("type", "standard", "max_retries", 5, "concurrency", 5)));
    Recorder clicks = handler("link::record_click", Recorder.succeeding());
    ObjectNode data = QueueClient.payload("code", "iii", "clicked_at", "2026-08-07T10:00:00.000Z", "n", 1);

    JsonNode answer = client.enqueue("clicks", "link::record_click", data);

    assertThat(answer.path("type").asText()).isEqualTo("invocationresult");
    assertThat(answer.has("error")).as(answer.toString()).isFalse();
    String receipt = answer.get("result").get("messageReceiptId").asText();
    assertThat(java.util.UUID.fromString(receipt)).isNotNull();
    assertThat(answer.get("result").size()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> clicks.count() == 1);
    assertThat(clicks.calls.get(0).data()).isEqualTo(data);
    awaitSettled("clicks", 1);
    assertThat(clicks.count()).as("delivered once").isEqualTo(1);
  }

  @Test
  void anEnqueueToAnUnknownQueueFailsWithUpstreamsError() throws Exception {
    start(queues());
    handler("link::record_click", Recorder.succeeding());

    JsonNode answer = client.enqueue("nope", "link::record_click", QueueClient.payload("code", "x"));

    assertThat(answer.get("error").get("code").asText()).isEqualTo("enqueue_error");
    assertThat(answer.get("error").get("message").asText()).isEqualTo("Queue 'nope' not found");
  }

  @Test
  void theDefaultQueueAlwaysExists() throws Exception {
    start(queues());
    Recorder r = handler("any::fn", Recorder.succeeding());
    client.enqueued("default", "any::fn", QueueClient.payload("a", 1));
    await().atMost(Duration.ofSeconds(10)).until(() -> r.count() == 1);
  }

  @Test
  void aFifoEnqueueNeedsItsGroupField() throws Exception {
    start(queues("payment", settings("type", "fifo", "message_group_field", "transaction_id")));

    JsonNode missing = client.enqueue("payment", "pay::fn", QueueClient.payload("amount", 3));
    assertThat(missing.get("error").get("code").asText()).isEqualTo("enqueue_error");
    assertThat(missing.get("error").get("message").asText())
        .isEqualTo("FIFO queue 'payment' requires field 'transaction_id' in data, but it was not found");

    ObjectNode nullGroup = QueueClient.payload("amount", 3);
    nullGroup.putNull("transaction_id");
    JsonNode isNull = client.enqueue("payment", "pay::fn", nullGroup);
    assertThat(isNull.get("error").get("message").asText()).isEqualTo("FIFO queue 'payment': field 'transaction_id' must not be null");
  }

  @Test
  void aHandlerThatFailsTwiceThenSucceedsIsCalledThreeTimes() throws Exception {
    // the retry schedule (backoff_ms × 2^(n−1)) is checked on a manual clock in BuiltinQueueStoreTest
    // and as a figure of Retry in RetryTest; a wall-clock bound here would only time this machine
    start(queues("clicks", settings("max_retries", 5, "concurrency", 5, "backoff_ms", 20)));
    Recorder flaky = handler("link::record_click", Recorder.failingFirst(2));
    ObjectNode data = QueueClient.payload("code", "flaky");

    client.enqueued("clicks", "link::record_click", data);

    await().atMost(Duration.ofSeconds(20)).until(() -> flaky.count() == 3);
    awaitSettled("clicks", 1);
    assertThat(flaky.count()).as("a success ends the retries").isEqualTo(3);
    assertThat(flaky.calls).extracting(Recorder.Seen::data).as("every attempt gets the payload").containsOnly(data);
    JsonNode stats = client.result("engine::queue::topic_stats", "topic", "clicks");
    assertThat(stats.get("depth").asLong()).isZero();
    assertThat(stats.get("dlq_depth").asLong()).isZero();
    assertThat(stats.get("enqueued_total").asLong()).isEqualTo(1);
    assertThat(stats.get("drained_total").asLong()).as("the failed attempts do not count").isEqualTo(1);
    assertThat(stats.get("failed_attempts_total").asLong()).as("they are counted apart").isEqualTo(2);
    // the rates count whole seconds: once this one is over, one message in and one handled over 10 s
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode rates = client.result("engine::queue::topic_stats", "topic", "clicks");
      assertThat(rates.get("enqueue_rate").asDouble()).isEqualTo(0.1);
      assertThat(rates.get("drain_rate").asDouble()).isEqualTo(0.1);
    });
  }

  @Test
  void maxRetriesCountsRetriesAfterTheFirstAttempt() throws Exception {
    start(queues("zero", settings("max_retries", 0, "backoff_ms", 10), "two", settings("max_retries", 2, "backoff_ms", 10)));
    Recorder zero = handler("zero::fn", Recorder.alwaysFailing());
    Recorder two = handler("two::fn", Recorder.alwaysFailing());

    client.enqueued("zero", "zero::fn", QueueClient.payload("n", 0));
    client.enqueued("two", "two::fn", QueueClient.payload("n", 2));

    await().atMost(Duration.ofSeconds(20))
        .until(() -> dlqDepth("zero") == 1 && dlqDepth("two") == 1);
    assertThat(zero.count()).as("max_retries 0: one call, then the DLQ").isEqualTo(1);
    assertThat(two.count()).as("max_retries 2: three calls").isEqualTo(3);
    assertThat(client.result("engine::queue::dlq_messages", "topic", "two").get(0).get("retries").asInt()).isEqualTo(3);
  }

  /**
   * Waits until {@code queue} holds nothing (none waiting, none in flight where the adapter can
   * tell) and {@code handled} messages have been handled successfully: after that no delivery is
   * left to come, so counts read afterwards are final.
   */
  protected void awaitSettled(String queue, long handled) {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode stats = client.result("engine::queue::topic_stats", "topic", queue);
      assertThat(stats.get("depth").asLong() == 0 && stats.path("in_flight").asLong(0) == 0
          && stats.get("drained_total").asLong() == handled).as("%s settled after %d handled: %s", queue, handled, stats).isTrue();
    });
  }

  protected long dlqDepth(String queue) throws InterruptedException {
    return client.result("engine::queue::topic_stats", "topic", queue).get("dlq_depth").asLong();
  }

  @Test
  void aMessageThatAlwaysFailsLandsInTheDlqWithItsPayloadAndCanBeRedriven() throws Exception {
    start(queues("clicks", settings("max_retries", 2, "concurrency", 5, "backoff_ms", 50)));
    Recorder broken = handler("link::record_click", Recorder.alwaysFailing());
    ObjectNode data = QueueClient.payload("code", "dead", "clicked_at", "2026-08-07T10:00:00.000Z");
    long before = System.currentTimeMillis() / 1000;

    String receipt = client.enqueued("clicks", "link::record_click", data);

    await().atMost(Duration.ofSeconds(20)).until(() -> dlqDepth("clicks") == 1);
    assertThat(broken.count()).isEqualTo(3);
    JsonNode letters = client.result("engine::queue::dlq_messages", "queue", "clicks");
    assertThat(letters).hasSize(1);
    JsonNode letter = letters.get(0);
    assertThat(letter.get("id").asText()).isEqualTo(receipt);
    assertThat(letter.get("payload")).isEqualTo(data);
    assertThat(letter.get("retries").asInt()).isEqualTo(3);
    assertThat(letter.get("attempts").asInt()).isEqualTo(3);
    assertThat(letter.get("error").asText()).contains("always broken");
    assertThat(letter.get("failed_at").asLong()).isBetween(before, before + 60);
    assertThat(letter.get("size_bytes").asLong()).isEqualTo(Json.write(data).getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    assertThat(letter.get("function_id").asText()).isEqualTo("link::record_click");

    JsonNode dlqTopics = client.result("engine::queue::dlq_topics");
    assertThat(dlqTopics.findValues("topic").stream().map(JsonNode::asText)).contains("clicks", "default");
    for (JsonNode t : dlqTopics) {
      if (t.get("topic").asText().equals("clicks")) {
        assertThat(t.get("message_count").asLong()).isEqualTo(1);
        assertThat(t.get("broker_type").asText()).isEqualTo("function_queue");
      }
    }

    broken.outcome = (i, d) -> null; // fixed
    JsonNode redriven = client.result("iii::queue::redrive", "queue", "clicks");
    assertThat(redriven.get("queue").asText()).isEqualTo("clicks");
    assertThat(redriven.get("redriven").asLong()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> broken.count() == 4);
    assertThat(broken.calls.get(3).data()).isEqualTo(data);
    await().atMost(Duration.ofSeconds(10)).until(() -> dlqDepth("clicks") == 0);
    assertThat(client.result("iii::queue::redrive", "queue", "clicks").get("redriven").asLong()).as("empty DLQ").isZero();
  }

  @Test
  void singleDeadLettersAreRedrivenOrDiscardedById() throws Exception {
    start(queues("jobs", settings("max_retries", 0, "backoff_ms", 10)));
    Recorder jobs = handler("jobs::run", new Recorder((i, d) -> d.path("fail").asBoolean() ? "bad job" : null));
    String first = client.enqueued("jobs", "jobs::run", QueueClient.payload("fail", true, "n", 1));
    String second = client.enqueued("jobs", "jobs::run", QueueClient.payload("fail", true, "n", 2));
    await().atMost(Duration.ofSeconds(20)).until(() -> dlqDepth("jobs") == 2);

    JsonNode none = client.result("iii::queue::redrive_message", "queue", "jobs", "message_id", "no-such-id");
    assertThat(none.get("redriven").asInt()).isZero();

    jobs.outcome = (i, d) -> null;
    JsonNode one = client.result("iii::queue::redrive_message", "queue", "jobs", "message_id", first);
    assertThat(one.get("queue").asText()).isEqualTo("jobs");
    assertThat(one.get("message_id").asText()).isEqualTo(first);
    assertThat(one.get("redriven").asInt()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> jobs.count() == 3);
    assertThat(jobs.calls.get(2).data().get("n").asInt()).isEqualTo(1);

    JsonNode discarded = client.result("iii::queue::discard_message", "topic", "jobs", "message_id", second);
    assertThat(discarded.get("redriven").asInt()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> dlqDepth("jobs") == 0);
    awaitSettled("jobs", 1);
    assertThat(jobs.count()).as("a discarded message is never delivered").isEqualTo(3);

    JsonNode noQueue = client.error("iii::queue::redrive", "queue", "");
    assertThat(noQueue.get("code").asText()).isEqualTo("queue_not_set");
    assertThat(noQueue.get("message").asText()).isEqualTo("Queue name is required");
    assertThat(client.error("iii::queue::redrive_message", "queue", "jobs", "message_id", "").get("code").asText())
        .isEqualTo("message_id_not_set");
  }

  @Test
  void aFifoQueueKeepsOrderPerMessageGroupUnderConcurrency() throws Exception {
    int groups = 5;
    int perGroup = 15;
    int concurrency = 4;
    // the first message of each group waits until four are in flight at once: groups that were not
    // handled in parallel would never get there, and a fifth at once would break the bound
    java.util.concurrent.CountDownLatch together = new java.util.concurrent.CountDownLatch(concurrency);
    start(queues("orders", settings("type", "fifo", "message_group_field", "account", "concurrency", concurrency, "max_retries", 3, "backoff_ms", 30)));
    Map<String, List<Integer>> calls = new ConcurrentHashMap<>();
    Map<String, List<Integer>> done = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    AtomicInteger concurrent = new AtomicInteger();
    AtomicInteger maxConcurrent = new AtomicInteger();
    List<String> overlaps = new CopyOnWriteArrayList<>();
    Set<String> failedOnce = ConcurrentHashMap.newKeySet();
    handler(
        "orders::apply",
        call -> CompletableFuture.supplyAsync(
            () -> {
              String account = call.data().get("account").asText();
              int seq = call.data().get("seq").asInt();
              if (inFlight.computeIfAbsent(account, a -> new AtomicInteger()).incrementAndGet() > 1) {
                overlaps.add(account + "#" + seq);
              }
              maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
              calls.computeIfAbsent(account, a -> new CopyOnWriteArrayList<>()).add(seq);
              try {
                if (seq == 0) {
                  together.countDown();
                  together.await(10, java.util.concurrent.TimeUnit.SECONDS);
                }
                Thread.sleep(5);
                if (seq % 5 == 2 && failedOnce.add(account + "#" + seq)) {
                  throw new InvocationException("invocation_failed", "transient failure of " + seq);
                }
                done.computeIfAbsent(account, a -> new CopyOnWriteArrayList<>()).add(seq);
                return (JsonNode) Json.object();
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              } finally {
                concurrent.decrementAndGet();
                inFlight.get(account).decrementAndGet();
              }
            },
            VIRTUAL));

    List<String> ids = new ArrayList<>();
    for (int seq = 0; seq < perGroup; seq++) {
      for (int g = 0; g < groups; g++) {
        ids.add(client.sendEnqueue("orders", "orders::apply", QueueClient.payload("account", "acct-" + g, "seq", seq)));
      }
    }
    for (String id : ids) {
      assertThat(client.answer(id).has("error")).isFalse();
    }

    await().atMost(Duration.ofSeconds(60))
        .until(() -> done.values().stream().mapToInt(List::size).sum() == groups * perGroup);
    for (int g = 0; g < groups; g++) {
      List<Integer> expected = new ArrayList<>();
      for (int seq = 0; seq < perGroup; seq++) {
        expected.add(seq);
      }
      assertThat(done.get("acct-" + g)).as("successes of acct-%d in order", g).isEqualTo(expected);
      List<Integer> attempts = calls.get("acct-" + g);
      for (int i = 1; i < attempts.size(); i++) {
        assertThat(attempts.get(i)).as("no later message overtakes a retrying one (acct-%d: %s)", g, attempts)
            .isGreaterThanOrEqualTo(attempts.get(i - 1));
      }
    }
    assertThat(overlaps).as("one message per group at a time").isEmpty();
    assertThat(together.getCount()).as("four groups were in flight at once").isZero();
    assertThat(maxConcurrent.get()).as("groups in parallel, up to concurrency and no further").isEqualTo(concurrency);
  }

  // ------------------------------------------------------------------ durable topics

  @Test
  void aDurableSubscriberIsAckedOnReturnAndRetriedOnThrowUntilTheDlq() throws Exception {
    start(queues());
    Recorder cache = handler("link::on_link_updated", Recorder.failingFirst(1));
    Recorder audit = handler("audit::on_link_updated", Recorder.alwaysFailing());
    subscribe("t-cache", "link.updated", "link::on_link_updated", QueueClient.payload("queue_config", QueueClient.payload("maxRetries", 2, "backoffDelayMs", 50)));
    subscribe("t-audit", "link.updated", "audit::on_link_updated", QueueClient.payload("queue_config", QueueClient.payload("maxRetries", 1, "backoffDelayMs", 50)));
    awaitConsumers("link.updated", 2);
    ObjectNode update = QueueClient.payload("code", "iii", "url", "https://iii.dev/changed");

    JsonNode published = client.result("iii::durable::publish", "topic", "link.updated", "data", update);
    assertThat(published == null || published.isNull()).as("publish returns nothing: %s", published).isTrue();

    await().atMost(Duration.ofSeconds(20)).until(() -> cache.count() == 2 && dlqDepth("link.updated") == 1);
    assertThat(cache.calls.get(1).data()).isEqualTo(update);
    assertThat(audit.count()).as("maxRetries 1: two calls").isEqualTo(2);
    JsonNode letters = client.result("engine::queue::dlq_messages", "topic", "link.updated");
    assertThat(letters).hasSize(1);
    assertThat(letters.get(0).get("payload")).isEqualTo(update);

    audit.outcome = (i, d) -> null;
    assertThat(client.result("iii::queue::redrive", "topic", "link.updated").get("redriven").asLong()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> audit.count() == 3);
    awaitSettled("link.updated", 2); // cache's second attempt, audit's redriven one
    assertThat(cache.count()).as("a redrive re-runs only the failed subscriber").isEqualTo(2);

    JsonNode noTopic = client.error("iii::durable::publish", "topic", "", "data", update);
    assertThat(noTopic.get("code").asText()).isEqualTo("topic_not_set");
    assertThat(noTopic.get("message").asText()).isEqualTo("Topic is not set");
  }

  @Test
  void everyFunctionGetsEveryMessageAndReplicasOfOneFunctionCompete() throws Exception {
    start(queues());
    Recorder a = handler("a::fn", Recorder.succeeding());
    Recorder b = handler("b::fn", Recorder.succeeding());
    subscribe("a-1", "events", "a::fn", null);
    subscribe("a-2", "events", "a::fn", null);
    subscribe("b-1", "events", "b::fn", null);
    awaitConsumers("events", 2);

    for (int i = 0; i < 5; i++) {
      client.result("iii::durable::publish", "topic", "events", "data", QueueClient.payload("i", i));
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> a.count() == 5 && b.count() == 5);
    awaitSettled("events", 10);
    assertThat(a.count()).as("two replicas of a::fn share its messages, each handled once").isEqualTo(5);
    assertThat(b.count()).isEqualTo(5);
    Set<Integer> seen = new HashSet<>();
    a.calls.forEach(c -> seen.add(c.data().get("i").asInt()));
    assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3, 4);

    JsonNode topics = client.result("engine::queue::list_topics");
    JsonNode events = null;
    for (JsonNode t : topics) {
      if (t.get("name").asText().equals("events")) {
        events = t;
      }
    }
    assertThat(events).as("list_topics: %s", topics).isNotNull();
    assertThat(events.get("subscriber_count").asInt()).isEqualTo(3);

    assertThat(engine.core().unregisterTrigger("b-1")).isPresent();
    awaitConsumers("events", 1);
    client.result("iii::durable::publish", "topic", "events", "data", QueueClient.payload("i", 5));
    await().atMost(Duration.ofSeconds(10)).until(() -> a.count() == 6);
    // not settled on every adapter: RabbitMQ keeps b::fn's queue, which holds the new message
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode stats = client.result("engine::queue::topic_stats", "topic", "events");
      assertThat(stats.get("drained_total").asLong()).as("%s", stats).isEqualTo(11);
      assertThat(stats.path("in_flight").asLong(0)).as("%s", stats).isZero();
    });
    assertThat(b.count()).as("an unsubscribed function gets nothing new").isEqualTo(5);
  }

  @Test
  void aConditionThatReturnsFalseAcksTheMessageWithoutCallingTheHandler() throws Exception {
    start(queues());
    Recorder handler = handler("only::big", Recorder.succeeding());
    handler("only::big::condition", BuiltinFunction.sync(call -> Json.mapper().getNodeFactory().booleanNode(call.data().get("n").asInt() > 10)));
    subscribe("cond", "numbers", "only::big", QueueClient.payload("condition_function_id", "only::big::condition"));
    awaitConsumers("numbers", 1);

    client.result("iii::durable::publish", "topic", "numbers", "data", QueueClient.payload("n", 3));
    client.result("iii::durable::publish", "topic", "numbers", "data", QueueClient.payload("n", 42));

    await().atMost(Duration.ofSeconds(10)).until(() -> handler.count() == 1);
    assertThat(handler.calls.get(0).data().get("n").asInt()).isEqualTo(42);
    await().atMost(Duration.ofSeconds(10))
        .until(() -> client.result("engine::queue::topic_stats", "topic", "numbers").get("depth").asLong() == 0);
    assertThat(dlqDepth("numbers")).isZero();
  }

  // ------------------------------------------------------------------ restart and introspection

  @Test
  void acknowledgedMessagesSurviveARestartAndAreDeliveredAfterwards() throws Exception {
    ObjectNode config = queues("clicks", settings("max_retries", 0, "concurrency", 2, "backoff_ms", 10));
    start(config);
    Recorder broken = handler("link::broken", Recorder.alwaysFailing());
    CompletableFuture<JsonNode> never = new CompletableFuture<>();
    AtomicInteger started = new AtomicInteger();
    handler("link::record_click", call -> {
      started.incrementAndGet();
      return never;
    });
    String dead = client.enqueued("clicks", "link::broken", QueueClient.payload("dead", true));
    await().atMost(Duration.ofSeconds(10)).until(() -> dlqDepth("clicks") == 1);
    for (int i = 0; i < 20; i++) {
      client.enqueued("clicks", "link::record_click", QueueClient.payload("n", i));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> started.get() == 2); // two in flight, 18 waiting
    assertThat(broken.count()).isEqualTo(1);

    Set<Integer> delivered = ConcurrentHashMap.newKeySet();
    AtomicInteger calls = new AtomicInteger();
    restart(config, Map.of("link::record_click", BuiltinFunction.sync(call -> {
      calls.incrementAndGet();
      delivered.add(call.data().get("n").asInt());
      return Json.object();
    })));

    await().atMost(Duration.ofSeconds(20)).until(() -> delivered.size() == 20);
    assertThat(calls.get()).isGreaterThanOrEqualTo(20);
    JsonNode letters = client.result("engine::queue::dlq_messages", "queue", "clicks");
    assertThat(letters).as("dead letters survive a restart").hasSize(1);
    assertThat(letters.get(0).get("id").asText()).isEqualTo(dead);
  }

  @Test
  void theConsoleFunctionsDescribeNamedQueues() throws Exception {
    start(queues("clicks", settings("type", "standard", "max_retries", 5, "concurrency", 5)));

    JsonNode topics = client.result("engine::queue::list_topics");
    JsonNode clicks = null;
    for (JsonNode t : topics) {
      if (t.get("name").asText().equals("clicks")) {
        clicks = t;
      }
    }
    assertThat(clicks).as("list_topics: %s", topics).isNotNull();
    assertThat(clicks.get("subscriber_count").asInt()).isEqualTo(5);
    assertThat(clicks.get("broker_type").asText()).isEqualTo(adapter().get("name").asText());

    JsonNode stats = client.result("engine::queue::topic_stats", "queue", "clicks");
    assertThat(stats.get("depth").asLong()).isZero();
    assertThat(stats.get("consumer_count").asInt()).isEqualTo(5);
    assertThat(stats.get("dlq_depth").asLong()).isZero();
    assertThat(stats.get("config").get("max_retries").asInt()).isEqualTo(5);
    assertThat(client.error("engine::queue::topic_stats", "topic", "").get("code").asText()).isEqualTo("topic_required");
    assertThat(client.error("engine::queue::dlq_messages", "topic", "").get("code").asText()).isEqualTo("topic_required");

    JsonNode listed = client.result("engine::functions::list").get("functions");
    List<String> queueFunctions = new ArrayList<>();
    listed.forEach(f -> {
      if (f.get("worker_name").asText().equals(QueueWorker.NAME)) {
        queueFunctions.add(f.get("function_id").asText());
      }
    });
    assertThat(queueFunctions).containsExactlyInAnyOrder(
        "engine::queue::enqueue", "iii::durable::publish", "iii::queue::redrive", "iii::queue::redrive_message",
        "iii::queue::discard_message", "engine::queue::list_topics", "engine::queue::topic_stats",
        "engine::queue::dlq_topics", "engine::queue::dlq_messages");
    List<String> queueTypes = new ArrayList<>();
    client.result("engine::triggers::list").get("triggers").forEach(t -> {
      if (t.get("worker_name").asText().equals(QueueWorker.NAME)) {
        queueTypes.add(t.get("id").asText());
      }
    });
    assertThat(queueTypes).containsExactly(QueueWorker.TRIGGER_TYPE);
  }
}
