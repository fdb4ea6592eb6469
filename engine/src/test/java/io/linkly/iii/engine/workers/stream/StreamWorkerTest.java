package io.linkly.iii.engine.workers.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.engine.testing.StalledClient;
import io.linkly.iii.engine.testing.StreamClient;
import io.linkly.iii.protocol.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** iii-stream: function shapes, the subscriber socket, triggers, slow subscribers and resuming. */
class StreamWorkerTest {

  private IiiEngine engine;
  private String streamUrl;

  @BeforeEach
  void start() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral()
        .withSetting("iii-stream", "max_buffered_bytes", Json.mapper().getNodeFactory().numberNode(128 * 1024))
        .withSetting("iii-stream", "slow_subscriber_grace_ms", Json.mapper().getNodeFactory().numberNode(1000))
        .withSetting("iii-stream", "history_size", Json.mapper().getNodeFactory().numberNode(150)));
    streamUrl = "ws://127.0.0.1:" + engine.port("iii-stream").orElseThrow() + "/";
  }

  @AfterEach
  void stop() {
    engine.close();
  }

  private static JsonNode json(String text) {
    try {
      return Json.mapper().readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private JsonNode call(String function, String data) throws Exception {
    return engine.core().invoke(Call.of(function, json(data))).get(10, TimeUnit.SECONDS);
  }

  private void set(String stream, String group, String item, String data) throws Exception {
    call("stream::set", "{\"stream_name\":\"" + stream + "\",\"group_id\":\"" + group + "\",\"item_id\":\"" + item + "\",\"data\":" + data + "}");
  }

  @Test
  void functionShapesOnTheWire() throws Exception {
    try (RawWorker w = RawWorker.connect(engine.workerUrl())) {
      JsonNode first = invoke(w, "stream::set", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"a\",\"data\":{\"n\":1}}");
      assertThat(first.get("result")).isEqualTo(json("{\"old_value\":null,\"new_value\":{\"n\":1}}"));
      JsonNode second = invoke(w, "stream::set", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"a\",\"data\":{\"n\":2}}");
      assertThat(second.get("result")).isEqualTo(json("{\"old_value\":{\"n\":1},\"new_value\":{\"n\":2}}"));
      invoke(w, "stream::set", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"b\",\"data\":\"text\"}");
      assertThat(invoke(w, "stream::get", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"a\"}").get("result"))
          .isEqualTo(json("{\"n\":2}"));
      assertThat(invoke(w, "stream::get", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"zz\"}").has("result")).isFalse();
      assertThat(invoke(w, "stream::list", "{\"stream_name\":\"s\",\"group_id\":\"g\"}").get("result")).isEqualTo(json("[{\"n\":2},\"text\"]"));
      assertThat(invoke(w, "stream::list", "{\"stream_name\":\"s\",\"group_id\":\"none\"}").get("result")).isEqualTo(json("[]"));
      assertThat(invoke(w, "stream::list_groups", "{\"stream_name\":\"s\"}").get("result")).isEqualTo(json("[\"g\"]"));
      assertThat(invoke(w, "stream::list_all", "{}").get("result")).isEqualTo(json("{\"stream\":[{\"id\":\"s\",\"groups\":[\"g\"]}],\"count\":1}"));
      assertThat(invoke(w, "stream::delete", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"a\"}").get("result"))
          .isEqualTo(json("{\"old_value\":{\"n\":2}}"));
      assertThat(invoke(w, "stream::delete", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"a\"}").get("result"))
          .isEqualTo(json("{\"old_value\":null}"));
      assertThat(invoke(w, "stream::send", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"type\":\"ping\",\"data\":1}").has("result")).isFalse();
      assertThat(invoke(w, "stream::set", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":7,\"data\":1}").get("error").get("code").asText())
          .isEqualTo("deserialization_error");
    }
  }

  private static JsonNode invoke(RawWorker w, String function, String data) throws Exception {
    return w.call(function, data);
  }

  @Test
  void framesOfEverySizeArriveIntact() throws Exception {
    try (StreamClient c = StreamClient.connect(streamUrl).join("sizes", "s", "sizes")) {
      await().until(() -> c.events("sync").size() == 1);
      int[] sizes = {1, 100, 125, 126, 1000, 65_535, 65_536, 200_000};
      for (int i = 0; i < sizes.length; i++) {
        set("s", "sizes", "i" + i, "\"" + "y".repeat(sizes[i]) + "\"");
      }
      await().until(() -> c.events("create").size() == sizes.length);
      for (int i = 0; i < sizes.length; i++) {
        assertThat(c.events("create").get(i).get("event").get("data").asText()).hasSize(sizes[i]);
      }
    }
  }

  /** Frames leave history (150 here) and sockets; their native memory must go with them. */
  @Test
  void changesLeaveNoNativeMemoryBehind() throws Exception {
    String big = "\"" + "z".repeat(32 * 1024) + "\"";
    try (StreamClient c = StreamClient.connect(streamUrl).join("leak", "leak", "g")) {
      await().until(() -> c.events("sync").size() == 1);
      // one change at a time, so that this reader is never the slow subscriber the bound cuts off
      for (int i = 0; i < 150; i++) { // fill the history first: what it holds is not a leak
        set("leak", "g", "warm" + i, big);
        int expected = i + 1;
        await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).until(() -> c.events("create").size() == expected);
      }
      long before = directMemoryAfterGc();
      for (int i = 0; i < 600; i++) { // 600 × 32 KiB = 18.75 MiB of frames
        set("leak", "g", "i" + i, big);
        int expected = 151 + i;
        await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).until(() -> c.events("create").size() == expected);
      }
      long growth = directMemoryAfterGc() - before;
      assertThat(growth).as("native memory left behind, bytes").isLessThan(8L * 1024 * 1024);
    }
  }

  /** Direct memory in use: Netty's own (freed only on release) plus the JDK's (freed by the GC). */
  private static long directMemoryAfterGc() throws InterruptedException {
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(100);
    }
    long jdk = java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)
        .stream().filter(p -> p.getName().equals("direct")).mapToLong(java.lang.management.BufferPoolMXBean::getMemoryUsed).sum();
    return jdk + io.netty.util.internal.PlatformDependent.usedDirectMemory();
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"in_memory", "file_based"})
  void aBoundedStreamKeepsItsNewestItemsAndLetsTheOldestGoQuietly(String storeMethod, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    engine.close();
    EngineConfig engineConfig = EngineConfig.ephemeral()
        .withSetting("iii-stream", "retention", json("{\"clicks\":{\"max_items\":3,\"groups\":[\"all\"]}}"))
        .withSetting("iii-stream", "adapter", json("{\"name\":\"kv\",\"config\":{\"store_method\":\"" + storeMethod
            + "\",\"file_path\":\"" + dir.resolve("streams").toString().replace("\\", "/") + "\"}}"));
    engine = IiiEngine.start(engineConfig);
    streamUrl = "ws://127.0.0.1:" + engine.port("iii-stream").orElseThrow() + "/";
    try (StreamClient watcher = StreamClient.connect(streamUrl).join("w", "clicks", "all")) {
      await().atMost(StreamClient.patience()).until(() -> watcher.events("sync").size() == 1);
      for (int n = 1; n <= 5; n++) {
        set("clicks", "all", "c" + n, "{\"n\":" + n + "}");
      }
      set("clicks", "all", "c5", "{\"n\":55}"); // an overwrite is not a new item: nothing more leaves
      for (int n = 1; n <= 5; n++) {
        set("clicks", "totals", "t" + n, "{}"); // a group the bound does not list keeps everything
      }
      set("other", "all", "o1", "{}");
      set("other", "all", "o2", "{}");
      assertThat(call("stream::list", "{\"stream_name\":\"clicks\",\"group_id\":\"all\"}"))
          .isEqualTo(json("[{\"n\":3},{\"n\":4},{\"n\":55}]"));
      assertThat(call("stream::list", "{\"stream_name\":\"other\",\"group_id\":\"all\"}")).hasSize(2);
      assertThat(call("stream::list", "{\"stream_name\":\"clicks\",\"group_id\":\"totals\"}")).hasSize(5);
      assertThat(call("stream::get", "{\"stream_name\":\"clicks\",\"group_id\":\"all\",\"item_id\":\"c1\"}")).isNull();
      set("clicks", "all", "marker", "{}");
      await().atMost(StreamClient.patience()).until(() -> watcher.events("create").size() == 6);
      assertThat(watcher.events("update")).hasSize(1);
      assertThat(watcher.events("delete")).as("expiry is not announced").isEmpty();
    }
    try (StreamClient late = StreamClient.connect(streamUrl).join("late", "clicks", "all")) {
      await().atMost(StreamClient.patience()).until(() -> late.events("sync").size() == 1);
      assertThat(late.events("sync").get(0).get("event").get("data")).hasSize(3);
    }
    if (storeMethod.equals("file_based")) { // expiry writes nothing: the restart cuts the replay back to the same window
      engine.close();
      engine = IiiEngine.start(engineConfig);
      assertThat(call("stream::list", "{\"stream_name\":\"clicks\",\"group_id\":\"all\"}"))
          .isEqualTo(json("[{\"n\":4},{\"n\":55},{}]")); // c4, c5 and the marker: the window before the restart
      assertThat(call("stream::list", "{\"stream_name\":\"clicks\",\"group_id\":\"totals\"}")).hasSize(5);
    }
  }

  @Test
  void oneSocketsSubscriptionsAreCappedWithAnErrorEvent() throws Exception {
    engine.close();
    engine = IiiEngine.start(EngineConfig.ephemeral()
        .withSetting("iii-stream", "max_subscriptions_per_connection", Json.mapper().getNodeFactory().numberNode(2)));
    streamUrl = "ws://127.0.0.1:" + engine.port("iii-stream").orElseThrow() + "/";
    try (StreamClient greedy = StreamClient.connect(streamUrl)) {
      greedy.join("a", "clicks", "all").join("b", "clicks", "all").join("a", "clicks", "all").join("c", "clicks", "all");
      await().atMost(StreamClient.patience()).until(() -> greedy.events("error").size() == 1);
      JsonNode refused = greedy.events("error").get(0);
      assertThat(refused.get("event").get("data").get("code").asText()).isEqualTo("too_many_subscriptions");
      assertThat(greedy.events("sync")).hasSize(3); // a, b, and a again (a rejoin replaces, it does not add)
      set("clicks", "all", "x", "{}");
      await().atMost(StreamClient.patience()).until(() -> greedy.events("create").size() == 2);
      greedy.send("{\"type\":\"leave\",\"data\":{\"subscriptionId\":\"b\",\"streamName\":\"clicks\",\"groupId\":\"all\"}}");
      greedy.join("c", "clicks", "all");
      await().atMost(StreamClient.patience()).until(() -> greedy.events("sync").size() == 4);
    }
  }

  @Test
  void aBurstOfChangesReachesEverySubscriberOnceInOrderAndItemSubscribersOnlyTheirItem() throws Exception {
    List<StreamClient> clients = new ArrayList<>();
    try (StreamClient onlyOne = StreamClient.connect(streamUrl)) {
      onlyOne.send("{\"type\":\"join\",\"data\":{\"subscriptionId\":\"one\",\"streamName\":\"burst\",\"groupId\":\"g\",\"id\":\"i-7\"}}");
      for (int i = 0; i < 20; i++) {
        clients.add(StreamClient.connect(streamUrl).join("sub-" + i, "burst", "g"));
      }
      await().atMost(StreamClient.patience()).until(() -> clients.stream().allMatch(c -> c.events("sync").size() == 1)
          && onlyOne.events("sync").size() == 1);
      int changes = 2000;
      List<java.util.concurrent.CompletableFuture<JsonNode>> writes = new ArrayList<>();
      for (int n = 0; n < changes; n++) { // all at once: the fan-out then drains many changes per task
        writes.add(engine.core().invoke(Call.of("stream::set",
            json("{\"stream_name\":\"burst\",\"group_id\":\"g\",\"item_id\":\"i-" + n + "\",\"data\":{\"n\":" + n + "}}"))));
      }
      for (var w : writes) {
        w.get(30, TimeUnit.SECONDS);
      }
      await().atMost(StreamClient.patience()).until(() -> clients.stream().allMatch(c -> c.events("create").size() == changes));
      long first = clients.get(0).events("sync").get(0).get("seq").asLong();
      for (StreamClient c : clients) {
        List<JsonNode> creates = c.events("create");
        for (int k = 0; k < changes; k++) {
          assertThat(creates.get(k).get("seq").asLong()).isEqualTo(first + k + 1);
        }
        assertThat(creates.stream().map(e -> e.get("id").asText()).distinct().count()).isEqualTo(changes);
      }
      await().atMost(StreamClient.patience()).until(() -> onlyOne.events("create").size() == 1);
      assertThat(onlyOne.events("create").get(0).get("id").asText()).isEqualTo("i-7");
    } finally {
      clients.forEach(StreamClient::close);
    }
  }

  @Test
  void twoHundredSubscribersEachGetEveryClickInOrder() throws Exception {
    set("clicks", "all", "old", "{\"code\":\"earlier\"}");
    List<StreamClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) {
        clients.add(StreamClient.connect(streamUrl).join("sub-" + i, "clicks", "all"));
      }
      await().atMost(StreamClient.patience()).until(() -> clients.stream().allMatch(c -> c.events("sync").size() == 1));
      for (int n = 1; n <= 3; n++) {
        set("clicks", "all", "stream-me-" + n, "{\"code\":\"stream-me\",\"n\":" + n + "}");
      }
      await().atMost(StreamClient.patience()).until(() -> clients.stream().allMatch(c -> c.events("create").size() == 3));
      for (StreamClient c : clients) {
        JsonNode sync = c.events("sync").get(0);
        assertThat(sync.get("type").asText()).isEqualTo("stream");
        assertThat(sync.get("event").get("data")).isEqualTo(json("[{\"code\":\"earlier\"}]"));
        List<JsonNode> creates = c.events("create");
        for (int n = 1; n <= 3; n++) {
          JsonNode e = creates.get(n - 1);
          assertThat(e.get("streamName").asText()).isEqualTo("clicks");
          assertThat(e.get("groupId").asText()).isEqualTo("all");
          assertThat(e.get("id").asText()).isEqualTo("stream-me-" + n);
          assertThat(e.get("event").get("data").get("n").asInt()).isEqualTo(n);
          assertThat(e.get("seq").asLong()).isEqualTo(sync.get("seq").asLong() + n);
          assertThat(e.get("timestamp").isIntegralNumber()).isTrue();
        }
        assertThat(c.frames()).hasSize(4);
      }
    } finally {
      clients.forEach(StreamClient::close);
    }
  }

  @Test
  void aSubscriberThatStopsReadingIsCutOffAloneAndTheOthersGetEverything() throws Exception {
    StreamWorker worker = engine.worker(StreamWorker.class).orElseThrow();
    List<StreamClient> readers = new ArrayList<>();
    try (StalledClient stalled = new StalledClient(streamUrl,
        "{\"type\":\"join\",\"data\":{\"subscriptionId\":\"frozen\",\"streamName\":\"big\",\"groupId\":\"g\"}}")) {
      for (int i = 0; i < 199; i++) {
        readers.add(StreamClient.connect(streamUrl).join("r" + i, "big", "g"));
      }
      await().atMost(StreamClient.patience()).until(() -> readers.stream().allMatch(c -> c.events("sync").size() == 1));
      String payload = "\"" + "x".repeat(512) + "\"";
      int events = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      // keep a steady trickle going until the engine gives up on the frozen client
      while (worker.subscribersCutOff() == 0 && System.nanoTime() < deadline) {
        set("big", "g", "item-" + events, payload);
        events++;
        Thread.sleep(4);
      }
      assertThat(worker.subscribersCutOff()).as("the frozen client was cut off").isEqualTo(1);
      int total = events;
      await().atMost(Duration.ofSeconds(60)).until(() -> readers.stream().allMatch(c -> c.events("create").size() == total || c.closed().isDone()));
      assertThat(readers.stream().filter(c -> c.closed().isDone()).count()).as("readers cut off").isZero();
      await().atMost(StreamClient.patience()).until(stalled::isDisconnectedByPeer);
      assertThat(worker.subscribersCutOff()).as("nobody else was").isEqualTo(1);
      for (StreamClient c : readers) {
        List<JsonNode> creates = c.events("create");
        for (int n = 0; n < total; n++) {
          assertThat(creates.get(n).get("id").asText()).isEqualTo("item-" + n);
        }
      }
    } finally {
      readers.forEach(StreamClient::close);
    }
  }

  @Test
  void aRejoiningSubscriberGetsExactlyWhatItMissed() throws Exception {
    String epoch;
    long lastSeq;
    try (StreamClient c = StreamClient.connect(streamUrl).join("me", "feed", "g")) {
      await().until(() -> c.events("sync").size() == 1);
      set("feed", "g", "first", "1");
      await().until(() -> c.events("create").size() == 1);
      JsonNode seen = c.events("create").get(0);
      epoch = seen.get("epoch").asText();
      lastSeq = seen.get("seq").asLong();
    }
    for (int n = 0; n < 100; n++) {
      set("feed", "g", "missed-" + n, String.valueOf(n));
    }
    try (StreamClient again = StreamClient.connect(streamUrl).resume("me", "feed", "g", lastSeq, epoch)) {
      await().until(() -> again.events("create").size() == 100);
      set("feed", "g", "live", "\"after\"");
      await().until(() -> again.events("create").size() == 101);
      List<JsonNode> creates = again.events("create");
      for (int n = 0; n < 100; n++) {
        assertThat(creates.get(n).get("id").asText()).isEqualTo("missed-" + n);
        assertThat(creates.get(n).get("seq").asLong()).isEqualTo(lastSeq + 1 + n);
      }
      assertThat(creates.get(100).get("id").asText()).isEqualTo("live");
      assertThat(again.events("sync")).as("a resume sends no snapshot").isEmpty();
      assertThat(again.frames()).hasSize(101);
    }
  }

  @Test
  void aResumeBeyondTheHistoryOrFromAnotherEpochGetsResync() throws Exception {
    for (int n = 0; n < 200; n++) { // history_size is 150
      set("feed", "g", "i" + n, String.valueOf(n));
    }
    try (StreamClient far = StreamClient.connect(streamUrl).resume("a", "feed", "g", 10, currentEpoch());
        StreamClient stranger = StreamClient.connect(streamUrl).resume("b", "feed", "g", 199, "another-engine")) {
      for (StreamClient c : List.of(far, stranger)) {
        await().until(() -> c.events("resync").size() == 1);
        JsonNode resync = c.events("resync").get(0);
        assertThat(resync.get("event").get("data")).hasSize(200);
        assertThat(resync.get("seq").asLong()).isEqualTo(200);
      }
    }
  }

  private String currentEpoch() throws Exception {
    try (StreamClient probe = StreamClient.connect(streamUrl).join("probe", "feed", "g")) {
      await().until(() -> probe.events("sync").size() == 1);
      return probe.events("sync").get(0).get("epoch").asText();
    }
  }

  @Test
  void itemSubscriptionsAndDuplicateSubscriptionsFollowUpstreamsMatchingRule() throws Exception {
    try (StreamClient c = StreamClient.connect(streamUrl)) {
      c.join("all-1", "s", "g").join("all-2", "s", "g")
          .send("{\"type\":\"join\",\"data\":{\"subscriptionId\":\"one\",\"streamName\":\"s\",\"groupId\":\"g\",\"id\":\"x\"}}");
      await().until(() -> c.events("sync").size() == 3);
      assertThat(c.events("sync").get(2).get("event").get("data").isNull()).as("an item sync of a missing item is null").isTrue();
      set("s", "g", "x", "1");
      set("s", "g", "y", "2");
      await().until(() -> c.events("create").size() == 5);
      assertThat(c.events("create").stream().map(e -> e.get("id").asText()).toList()).containsExactlyInAnyOrder("x", "x", "x", "y", "y");
      c.send("{\"type\":\"leave\",\"data\":{\"subscriptionId\":\"all-2\",\"streamName\":\"s\",\"groupId\":\"g\"}}");
      c.send("{\"type\":\"nonsense\"}").send("not json");
      // messages of one socket are handled in order: once this join is synced, the leave is done
      c.join("marker", "other", "g");
      await().until(() -> c.events("sync").size() == 4);
      set("s", "g", "z", "3");
      set("s", "g", "x", "4");
      await().until(() -> c.events("update").size() == 2);
      await().until(() -> c.events("create").size() == 6);
    }
  }

  @Test
  void streamTriggersGetTheWrapperAndJoinCanBeRefused() throws Exception {
    Worker test = engine.core().registerBuiltinWorker("test");
    List<JsonNode> seen = new CopyOnWriteArrayList<>();
    engine.core().registerFunction(test, FunctionDefinition.of("t::on", "x"), BuiltinFunction.sync(c -> {
      seen.add(c.data());
      return null;
    }));
    engine.core().registerFunction(test, FunctionDefinition.of("t::gate", "x"),
        BuiltinFunction.sync(c -> c.data().path("group_id").asText().equals("secret") ? json("{\"unauthorized\":true}") : null));
    engine.core().registerTrigger(new TriggerBinding("b1", "stream", "t::on", json("{\"stream_name\":\"clicks\",\"group_id\":\"all\"}"), null, null));
    engine.core().registerTrigger(new TriggerBinding("j1", "stream:join", "t::gate", json("{}"), null, null));
    assertThat(engine.core().registerTrigger(new TriggerBinding("bad", "stream", "t::on", json("{}"), null, null))).isPresent();

    set("clicks", "all", "c1", "{\"code\":\"a\"}");
    set("clicks", "other", "c2", "{\"code\":\"b\"}");
    set("elsewhere", "all", "c3", "{\"code\":\"c\"}");
    await().until(() -> seen.size() == 1);
    JsonNode payload = seen.get(0);
    assertThat(payload.get("type").asText()).isEqualTo("stream");
    assertThat(payload.get("streamName").asText()).isEqualTo("clicks");
    assertThat(payload.get("id").asText()).isEqualTo("c1");
    assertThat(payload.get("event")).isEqualTo(json("{\"type\":\"create\",\"data\":{\"code\":\"a\"}}"));

    try (StreamClient c = StreamClient.connect(streamUrl).join("s1", "clicks", "secret").join("s2", "clicks", "open")) {
      await().until(() -> c.events("unauthorized").size() == 1 && c.events("sync").size() == 1);
      set("clicks", "secret", "hidden", "1");
      set("clicks", "open", "shown", "1");
      await().until(() -> c.events("create").size() == 1);
      assertThat(c.events("create").get(0).get("id").asText()).isEqualTo("shown");
    }
  }

  @Test
  void triggerHandlersSeeAGroupsChangesInWriteOrder() throws Exception {
    Worker test = engine.core().registerBuiltinWorker("test");
    List<String> seen = new CopyOnWriteArrayList<>();
    engine.core().registerFunction(test, FunctionDefinition.of("t::order", "x"), BuiltinFunction.sync(c -> {
      seen.add(c.data().get("id").asText());
      return null;
    }));
    engine.core().registerTrigger(new TriggerBinding("o1", "stream", "t::order", json("{\"stream_name\":\"ordered\"}"), null, null));
    List<String> written = new ArrayList<>();
    for (int n = 0; n < 300; n++) {
      set("ordered", "g", "i" + n, String.valueOf(n));
      written.add("i" + n);
    }
    await().until(() -> seen.size() == 300);
    assertThat(seen).containsExactlyElementsOf(written);
  }

  @Test
  void aHandlerThatStopsAnsweringHoldsUpOnlyItselfAndAnsweringLateHoldsUpNothing() throws Exception {
    Worker test = engine.core().registerBuiltinWorker("test");
    List<java.util.concurrent.CompletableFuture<JsonNode>> unanswered = new CopyOnWriteArrayList<>();
    List<String> stuckSaw = new CopyOnWriteArrayList<>();
    engine.core().registerFunction(test, FunctionDefinition.of("t::stuck", "a tab showing a dialog"), c -> {
      stuckSaw.add(c.data().get("id").asText());
      java.util.concurrent.CompletableFuture<JsonNode> answer = new java.util.concurrent.CompletableFuture<>();
      unanswered.add(answer);
      return answer;
    });
    List<String> seen = new CopyOnWriteArrayList<>();
    engine.core().registerFunction(test, FunctionDefinition.of("t::live", "another tab"), BuiltinFunction.sync(c -> {
      seen.add(c.data().get("id").asText());
      return null;
    }));
    engine.core().registerTrigger(new TriggerBinding("stuck", "stream", "t::stuck", json("{\"stream_name\":\"tabs\"}"), null, null));
    engine.core().registerTrigger(new TriggerBinding("live", "stream", "t::live", json("{\"stream_name\":\"tabs\"}"), null, null));
    List<String> written = new ArrayList<>();
    for (int n = 0; n < 100; n++) {
      set("tabs", "g", "i" + n, String.valueOf(n));
      written.add("i" + n);
    }
    await().until(() -> seen.size() == 100);
    assertThat(seen).containsExactlyElementsOf(written);
    // the stuck handler was not held to one change per answer: a window of changes went out, in order
    await().until(() -> stuckSaw.size() == TriggerLane.WINDOW);
    assertThat(stuckSaw).containsExactlyElementsOf(written.subList(0, TriggerLane.WINDOW));
    unanswered.forEach(a -> a.complete(null)); // the dialog closes: the rest follows, still in order
    await().until(() -> { unanswered.forEach(a -> a.complete(null)); return stuckSaw.size() == 100; });
    assertThat(stuckSaw).containsExactlyElementsOf(written);
  }

  @Test
  void aSlowTriggerHandlerDoesNotDelaySubscribers() throws Exception {
    Worker test = engine.core().registerBuiltinWorker("test");
    java.util.concurrent.CompletableFuture<JsonNode> never = new java.util.concurrent.CompletableFuture<>();
    engine.core().registerFunction(test, FunctionDefinition.of("t::stuck", "never answers"), c -> never);
    engine.core().registerTrigger(new TriggerBinding("b1", "stream", "t::stuck", json("{\"stream_name\":\"s\"}"), null, null));
    try (StreamClient c = StreamClient.connect(streamUrl).join("a", "s", "g")) {
      await().until(() -> c.events("sync").size() == 1);
      for (int n = 0; n < 20; n++) {
        set("s", "g", "i" + n, "1");
      }
      await().until(() -> c.events("create").size() == 20);
    }
  }
}
