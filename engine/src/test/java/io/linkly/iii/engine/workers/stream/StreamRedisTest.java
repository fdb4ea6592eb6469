package io.linkly.iii.engine.workers.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.testing.LocalRedis;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.engine.testing.StreamClient;
import io.linkly.iii.engine.testing.TcpProxy;
import io.linkly.iii.protocol.Json;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * iii-stream's redis adapter against the local Redis (127.0.0.1:6379), with two engines sharing
 * it. Each test runs under its own {@code key_prefix}, so keys and the change channel are its own,
 * and deletes its keys afterwards. Required when CI=true; elsewhere skipped, with the reason
 * printed, if Redis is not there.
 */
class StreamRedisTest {

  private static final String REDIS_URL = LocalRedis.URL;

  private static LocalRedis local;
  private static RedisCommands<String, String> redis;

  private final List<IiiEngine> engines = new ArrayList<>();
  private final List<StreamClient> clients = new ArrayList<>();
  private String prefix;

  @BeforeAll
  static void connectToRedis() {
    local = LocalRedis.require("StreamRedisTest");
    redis = local.commands();
  }

  @AfterAll
  static void disconnect() {
    if (local != null) {
      local.close();
    }
  }

  @BeforeEach
  void prefix() {
    prefix = "iii-test:" + UUID.randomUUID() + ":";
  }

  @AfterEach
  void stop() {
    clients.forEach(StreamClient::close);
    engines.forEach(IiiEngine::close);
    local.deleteKeysStartingWith(prefix);
  }

  private IiiEngine engine(String redisUrl) throws Exception {
    ObjectNode adapter = Json.object().put("name", "redis");
    adapter.putObject("config").put("redis_url", redisUrl).put("key_prefix", prefix);
    IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-stream", "adapter", adapter));
    engines.add(engine);
    return engine;
  }

  private StreamClient subscriber(IiiEngine engine, String subscription, String stream, String group) throws Exception {
    StreamClient c = StreamClient.connect("ws://127.0.0.1:" + engine.port("iii-stream").orElseThrow() + "/");
    clients.add(c);
    c.join(subscription, stream, group);
    await().atMost(StreamClient.patience()).until(() -> c.events("sync").size() == 1);
    return c;
  }

  private static JsonNode json(String text) {
    try {
      return Json.mapper().readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static JsonNode call(IiiEngine engine, String function, String data) throws Exception {
    return engine.core().invoke(Call.of(function, json(data))).get(15, TimeUnit.SECONDS);
  }

  private static JsonNode set(IiiEngine engine, String stream, String group, String item, String data) throws Exception {
    return call(engine, "stream::set",
        "{\"stream_name\":\"" + stream + "\",\"group_id\":\"" + group + "\",\"item_id\":\"" + item + "\",\"data\":" + data + "}");
  }

  private static JsonNode delete(IiiEngine engine, String stream, String group, String item) throws Exception {
    return call(engine, "stream::delete", "{\"stream_name\":\"" + stream + "\",\"group_id\":\"" + group + "\",\"item_id\":\"" + item + "\"}");
  }

  /** The change frames (not sync) a client has received. */
  private static List<JsonNode> changes(StreamClient c) {
    return c.frames().stream().filter(f -> !f.path("event").path("type").asText().equals("sync")).toList();
  }

  /** Writes a marker item on {@code engine} and waits until every client has it: everything before it has arrived. */
  private static void fence(IiiEngine engine, String stream, String group, StreamClient... clients) throws Exception {
    String marker = "marker-" + UUID.randomUUID();
    set(engine, stream, group, marker, "true");
    for (StreamClient c : clients) {
      await().atMost(StreamClient.patience()).until(() -> changes(c).stream().anyMatch(f -> f.path("id").asText().equals(marker)));
    }
  }

  @Test
  void aSubscriberOnEngineBSeesASetMadeOnEngineA() throws Exception {
    IiiEngine a = engine(REDIS_URL);
    IiiEngine b = engine(REDIS_URL);
    StreamClient onB = subscriber(b, "watch", "chat", "room-1");
    StreamClient onA = subscriber(a, "watch", "chat", "room-1");

    assertThat(set(a, "chat", "room-1", "m1", "{\"text\":\"hello\"}")).isEqualTo(json("{\"old_value\":null,\"new_value\":{\"text\":\"hello\"}}"));
    set(a, "chat", "room-1", "m1", "{\"text\":\"edited\"}");
    assertThat(delete(a, "chat", "room-1", "m1")).isEqualTo(json("{\"old_value\":{\"text\":\"edited\"}}"));
    delete(a, "chat", "room-1", "m1"); // deleting nothing tells nobody
    set(a, "chat", "other-room", "m2", "1"); // another group
    fence(a, "chat", "room-1", onB, onA);

    for (StreamClient c : List.of(onB, onA)) {
      JsonNode sync = c.events("sync").get(0);
      assertThat(sync.get("event").get("data")).isEqualTo(json("[]"));
      List<JsonNode> seen = changes(c);
      assertThat(seen).hasSize(4); // create, update, delete, the marker: each once, though A wrote and A also subscribes
      assertThat(seen.subList(0, 3).stream().map(f -> f.get("event")).toList())
          .containsExactly(
              json("{\"type\":\"create\",\"data\":{\"text\":\"hello\"}}"),
              json("{\"type\":\"update\",\"data\":{\"text\":\"edited\"}}"),
              json("{\"type\":\"delete\",\"data\":{\"text\":\"edited\"}}"));
      for (int i = 0; i < 4; i++) {
        JsonNode frame = seen.get(i);
        assertThat(frame.get("type").asText()).isEqualTo("stream");
        assertThat(frame.get("streamName").asText()).isEqualTo("chat");
        assertThat(frame.get("groupId").asText()).isEqualTo("room-1");
        assertThat(frame.get("timestamp").isIntegralNumber()).isTrue();
        assertThat(frame.get("seq").asLong()).as("numbered by the engine that delivers it").isEqualTo(sync.get("seq").asLong() + 1 + i);
        assertThat(frame.get("epoch").asText()).isEqualTo(sync.get("epoch").asText());
      }
    }
    assertThat(onA.events("sync").get(0).get("epoch").asText()).isNotEqualTo(onB.events("sync").get(0).get("epoch").asText());
  }

  @Test
  void retentionKeepsABoundedGroupAtItsNewestItemsWrittenByEitherEngine_withoutAnnouncingTheExpired() throws Exception {
    ObjectNode adapter = Json.object().put("name", "redis");
    adapter.putObject("config").put("redis_url", REDIS_URL).put("key_prefix", prefix);
    JsonNode retention = json("{\"clicks\":{\"max_items\":3,\"groups\":[\"all\"]}}");
    List<IiiEngine> two = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      IiiEngine engine = IiiEngine.start(
          EngineConfig.ephemeral().withSetting("iii-stream", "adapter", adapter).withSetting("iii-stream", "retention", retention));
      engines.add(engine);
      two.add(engine);
    }
    StreamClient watcher = subscriber(two.get(1), "s", "clicks", "all");
    for (int n = 1; n <= 5; n++) {
      set(two.get(n % 2), "clicks", "all", "c" + n, "{\"n\":" + n + "}");
    }
    set(two.get(0), "clicks", "all", "c5", "{\"n\":55}"); // an update keeps its place
    set(two.get(0), "clicks", "other", "o1", "1"); // a group without a bound keeps everything
    for (int n = 2; n <= 5; n++) {
      set(two.get(0), "clicks", "other", "o" + n, Integer.toString(n));
    }
    assertThat(call(two.get(1), "stream::list", "{\"stream_name\":\"clicks\",\"group_id\":\"all\"}"))
        .containsExactlyInAnyOrder(json("{\"n\":3}"), json("{\"n\":4}"), json("{\"n\":55}"));
    assertThat(redis.zrange(prefix + "stream-order:clicks:all", 0, -1)).containsExactly("c3", "c4", "c5");
    assertThat(call(two.get(1), "stream::list", "{\"stream_name\":\"clicks\",\"group_id\":\"other\"}")).hasSize(5);
    fence(two.get(0), "clicks", "all", watcher);
    assertThat(watcher.events("delete")).as("expiry is not a change subscribers act on").isEmpty();

    delete(two.get(0), "clicks", "all", "c4");
    assertThat(redis.zrange(prefix + "stream-order:clicks:all", 0, -1)).doesNotContain("c4");
  }

  @Test
  void readsOnOneEngineSeeWritesOfTheOther() throws Exception {
    IiiEngine a = engine(REDIS_URL);
    IiiEngine b = engine(REDIS_URL);
    set(a, "clicks", "all", "c1", "{\"n\":1}");
    set(a, "clicks", "all", "c2", "{\"n\":2}");
    set(a, "clicks", "region:eu", "c3", "{\"n\":3}");
    set(a, "views", "home", "v1", "\"seen\"");

    assertThat(call(b, "stream::get", "{\"stream_name\":\"clicks\",\"group_id\":\"all\",\"item_id\":\"c2\"}")).isEqualTo(json("{\"n\":2}"));
    assertThat(call(b, "stream::get", "{\"stream_name\":\"clicks\",\"group_id\":\"all\",\"item_id\":\"nope\"}")).isNull();
    assertThat(call(b, "stream::list", "{\"stream_name\":\"clicks\",\"group_id\":\"all\"}"))
        .containsExactlyInAnyOrder(json("{\"n\":1}"), json("{\"n\":2}")); // Redis hash order, as upstream
    assertThat(call(b, "stream::list", "{\"stream_name\":\"clicks\",\"group_id\":\"none\"}")).isEqualTo(json("[]"));
    assertThat(call(b, "stream::list_groups", "{\"stream_name\":\"clicks\"}")).containsExactlyInAnyOrder(json("\"all\""), json("\"region:eu\""));
    assertThat(call(b, "stream::list_groups", "{\"stream_name\":\"cl*\"}")).as("names are not patterns").isEmpty();
    assertThat(call(b, "stream::list_all", "{}"))
        .isEqualTo(json("{\"stream\":[{\"id\":\"clicks\",\"groups\":[\"all\",\"region:eu\"]},{\"id\":\"views\",\"groups\":[\"home\"]}],\"count\":2}"));

    // the storage layout is upstream's: one hash per group, field = item id, value = JSON text
    assertThat(redis.hgetall(prefix + "stream:clicks:all")).containsEntry("c1", "{\"n\":1}").containsEntry("c2", "{\"n\":2}");
    delete(b, "clicks", "all", "c1");
    delete(b, "clicks", "all", "c2");
    assertThat(redis.exists(prefix + "stream:clicks:all")).isZero();
    assertThat(call(a, "stream::list_groups", "{\"stream_name\":\"clicks\"}")).isEqualTo(json("[\"region:eu\"]"));
  }

  @Test
  void functionShapesOnTheWire() throws Exception {
    IiiEngine a = engine(REDIS_URL);
    try (RawWorker w = RawWorker.connect(a.workerUrl())) {
      assertThat(invoke(w, "stream::set", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"a\",\"data\":{\"n\":1}}").get("result"))
          .isEqualTo(json("{\"old_value\":null,\"new_value\":{\"n\":1}}"));
      assertThat(invoke(w, "stream::set", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"a\",\"data\":{\"n\":2}}").get("result"))
          .isEqualTo(json("{\"old_value\":{\"n\":1},\"new_value\":{\"n\":2}}"));
      invoke(w, "stream::set", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"b\",\"data\":\"text\"}");
      assertThat(invoke(w, "stream::get", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"a\"}").get("result")).isEqualTo(json("{\"n\":2}"));
      assertThat(invoke(w, "stream::get", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"zz\"}").has("result")).isFalse();
      assertThat(invoke(w, "stream::list", "{\"stream_name\":\"s\",\"group_id\":\"g\"}").get("result"))
          .containsExactlyInAnyOrder(json("{\"n\":2}"), json("\"text\""));
      assertThat(invoke(w, "stream::list", "{\"stream_name\":\"s\",\"group_id\":\"none\"}").get("result")).isEqualTo(json("[]"));
      assertThat(invoke(w, "stream::list_groups", "{\"stream_name\":\"s\"}").get("result")).isEqualTo(json("[\"g\"]"));
      assertThat(invoke(w, "stream::list_all", "{}").get("result")).isEqualTo(json("{\"stream\":[{\"id\":\"s\",\"groups\":[\"g\"]}],\"count\":1}"));
      JsonNode updated = invoke(w, "stream::update",
          "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"a\",\"ops\":[{\"type\":\"increment\",\"path\":\"n\",\"by\":3},{\"type\":\"append\",\"path\":\"n\",\"value\":1}]}")
          .get("result");
      assertThat(updated.get("old_value")).isEqualTo(json("{\"n\":2}"));
      assertThat(updated.get("new_value")).isEqualTo(json("{\"n\":5}"));
      assertThat(updated.get("errors").get(0).get("op_index").asInt()).isEqualTo(1);
      assertThat(invoke(w, "stream::update", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"new\",\"ops\":[{\"type\":\"set\",\"path\":\"x\",\"value\":1}]}")
          .get("result")).isEqualTo(json("{\"old_value\":null,\"new_value\":{\"x\":1}}"));
      assertThat(invoke(w, "stream::delete", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"a\"}").get("result"))
          .isEqualTo(json("{\"old_value\":{\"n\":5}}"));
      assertThat(invoke(w, "stream::delete", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":\"a\"}").get("result"))
          .isEqualTo(json("{\"old_value\":null}"));
      assertThat(invoke(w, "stream::send", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"type\":\"ping\",\"data\":1}").has("result")).isFalse();
      assertThat(invoke(w, "stream::set", "{\"stream_name\":\"s\",\"group_id\":\"g\",\"item_id\":7,\"data\":1}").get("error").get("code").asText())
          .isEqualTo("deserialization_error");
    }
  }

  private static JsonNode invoke(RawWorker w, String function, String data) throws Exception {
    UUID id = UUID.randomUUID();
    w.send("{\"type\":\"invokefunction\",\"invocation_id\":\"" + id + "\",\"function_id\":\"" + function + "\",\"data\":" + data + "}");
    return w.next(m -> m.path("invocation_id").asText().equals(id.toString()));
  }

  @Test
  void updatesAndSendsReachTheOtherEngine() throws Exception {
    IiiEngine a = engine(REDIS_URL);
    IiiEngine b = engine(REDIS_URL);
    StreamClient onB = subscriber(b, "watch", "counters", "g");
    call(a, "stream::update", "{\"stream_name\":\"counters\",\"group_id\":\"g\",\"item_id\":\"hits\",\"ops\":[{\"type\":\"increment\",\"path\":\"n\",\"by\":2}]}");
    call(a, "stream::update", "{\"stream_name\":\"counters\",\"group_id\":\"g\",\"item_id\":\"hits\",\"ops\":[{\"type\":\"increment\",\"path\":\"n\",\"by\":3}]}");
    assertThat(call(a, "stream::send", "{\"stream_name\":\"counters\",\"group_id\":\"g\",\"type\":\"ping\",\"data\":{\"x\":1},\"id\":\"hits\"}")).isNull();
    fence(a, "counters", "g", onB);
    List<JsonNode> seen = changes(onB);
    assertThat(seen.subList(0, 3).stream().map(f -> f.get("event")).toList())
        .containsExactly(
            json("{\"type\":\"create\",\"data\":{\"n\":2}}"),
            json("{\"type\":\"update\",\"data\":{\"n\":5}}"),
            json("{\"type\":\"event\",\"event\":{\"type\":\"ping\",\"data\":{\"x\":1}}}"));
    assertThat(seen.get(2).get("id").asText()).isEqualTo("hits");
  }

  @Test
  void subscribersJoiningDuringABurstOnTheOtherEngineGetEachChangeOnceAfterTheirSnapshot() throws Exception {
    IiiEngine a = engine(REDIS_URL);
    IiiEngine b = engine(REDIS_URL);
    int total = 600;
    int joiners = 12;
    List<StreamClient> joined = new ArrayList<>();
    for (int k = 0; k < joiners; k++) {
      StreamClient c = StreamClient.connect("ws://127.0.0.1:" + b.port("iii-stream").orElseThrow() + "/");
      clients.add(c);
      joined.add(c);
    }
    AtomicInteger written = new AtomicInteger();
    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      try {
        for (int i = 0; i < total; i++) {
          set(a, "burst", "g", "i" + i, "{\"i\":" + i + "}");
          written.incrementAndGet();
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    // joins spread over the burst, each once the writer has got a bit further
    for (int k = 0; k < joiners; k++) {
      int progress = k * total / joiners;
      await().atMost(StreamClient.patience()).until(() -> written.get() >= progress || writer.isDone());
      joined.get(k).join("s" + k, "burst", "g");
    }
    writer.get(60, TimeUnit.SECONDS);
    await().atMost(StreamClient.patience()).until(() -> joined.stream().allMatch(c -> c.events("sync").size() == 1));
    fence(a, "burst", "g", joined.toArray(StreamClient[]::new));
    for (StreamClient c : joined) {
      List<Integer> synced = new ArrayList<>();
      c.events("sync").get(0).get("event").get("data").forEach(v -> synced.add(v.get("i").asInt()));
      List<Integer> live = changes(c).stream().filter(f -> f.get("id").asText().startsWith("i"))
          .map(f -> f.get("event").get("data").get("i").asInt()).toList();
      // the snapshot holds the first k items, the live changes are exactly the rest, in order
      assertThat(synced).containsExactlyInAnyOrderElementsOf(range(0, synced.size()));
      assertThat(live).isEqualTo(range(synced.size(), total));
    }
  }

  private static List<Integer> range(int from, int to) {
    List<Integer> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(i);
    }
    return out;
  }

  @Test
  void aSubscriberRejoiningEngineBResumesFromItsHistory() throws Exception {
    IiiEngine a = engine(REDIS_URL);
    IiiEngine b = engine(REDIS_URL);
    StreamClient first = subscriber(b, "me", "feed", "g");
    set(a, "feed", "g", "seen", "0");
    await().until(() -> changes(first).size() == 1);
    JsonNode last = changes(first).get(0);
    first.close();
    for (int n = 1; n <= 5; n++) {
      set(a, "feed", "g", "missed-" + n, String.valueOf(n));
    }
    StreamClient again = StreamClient.connect("ws://127.0.0.1:" + b.port("iii-stream").orElseThrow() + "/");
    clients.add(again);
    again.resume("me", "feed", "g", last.get("seq").asLong(), last.get("epoch").asText());
    await().until(() -> changes(again).size() == 5);
    fence(a, "feed", "g", again);
    assertThat(again.events("sync")).as("a resume sends no snapshot").isEmpty();
    List<JsonNode> missed = changes(again);
    for (int n = 1; n <= 5; n++) {
      assertThat(missed.get(n - 1).get("id").asText()).isEqualTo("missed-" + n);
      assertThat(missed.get(n - 1).get("seq").asLong()).isEqualTo(last.get("seq").asLong() + n);
    }
  }

  @Test
  void anItemSubscriptionOnBGetsThatItemsChangesFromA() throws Exception {
    IiiEngine a = engine(REDIS_URL);
    IiiEngine b = engine(REDIS_URL);
    set(a, "carts", "u1", "other", "1");
    StreamClient c = StreamClient.connect("ws://127.0.0.1:" + b.port("iii-stream").orElseThrow() + "/");
    clients.add(c);
    c.send("{\"type\":\"join\",\"data\":{\"subscriptionId\":\"one\",\"streamName\":\"carts\",\"groupId\":\"u1\",\"id\":\"cart\"}}");
    await().until(() -> c.events("sync").size() == 1);
    assertThat(c.events("sync").get(0).get("event").get("data").isNull()).as("an item sync of a missing item is null").isTrue();
    set(a, "carts", "u1", "other", "2");
    set(a, "carts", "u1", "cart", "{\"items\":1}");
    await().until(() -> c.events("create").size() == 1);
    StreamClient late = StreamClient.connect("ws://127.0.0.1:" + b.port("iii-stream").orElseThrow() + "/");
    clients.add(late);
    late.send("{\"type\":\"join\",\"data\":{\"subscriptionId\":\"one\",\"streamName\":\"carts\",\"groupId\":\"u1\",\"id\":\"cart\"}}");
    await().until(() -> late.events("sync").size() == 1);
    assertThat(late.events("sync").get(0).get("event").get("data")).isEqualTo(json("{\"items\":1}"));
    assertThat(changes(c)).hasSize(1);
    assertThat(changes(c).get(0).get("id").asText()).isEqualTo("cart");
  }

  @Test
  void concurrentUpdatesFromBothEnginesAllApplyAndEveryoneSeesOneOrder() throws Exception {
    IiiEngine a = engine(REDIS_URL);
    IiiEngine b = engine(REDIS_URL);
    StreamClient onA = subscriber(a, "watch", "race", "g");
    StreamClient onB = subscriber(b, "watch", "race", "g");
    String increment = "{\"stream_name\":\"race\",\"group_id\":\"g\",\"item_id\":\"n\",\"ops\":[{\"type\":\"increment\",\"path\":\"n\",\"by\":1}]}";
    List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      calls.add((i % 2 == 0 ? a : b).core().invoke(Call.of("stream::update", json(increment))));
    }
    for (CompletableFuture<JsonNode> f : calls) {
      f.get(30, TimeUnit.SECONDS);
    }
    assertThat(call(b, "stream::get", "{\"stream_name\":\"race\",\"group_id\":\"g\",\"item_id\":\"n\"}")).isEqualTo(json("{\"n\":40}"));
    await().atMost(StreamClient.patience()).until(() -> changes(onA).size() == 40 && changes(onB).size() == 40);
    List<Integer> valuesOnA = changes(onA).stream().map(f -> f.get("event").get("data").get("n").asInt()).toList();
    List<Integer> valuesOnB = changes(onB).stream().map(f -> f.get("event").get("data").get("n").asInt()).toList();
    List<Integer> expected = new ArrayList<>();
    for (int n = 1; n <= 40; n++) {
      expected.add(n);
    }
    assertThat(valuesOnA).isEqualTo(expected);
    assertThat(valuesOnB).isEqualTo(expected);
  }

  @Test
  void streamTriggersFireOnlyOnTheWritingEngineOncePerWrite() throws Exception {
    IiiEngine a = engine(REDIS_URL);
    IiiEngine b = engine(REDIS_URL);
    List<JsonNode> firedOnA = handler(a);
    List<JsonNode> firedOnB = handler(b);
    StreamClient onA = subscriber(a, "watch", "orders", "g");
    StreamClient onB = subscriber(b, "watch", "orders", "g");

    set(a, "orders", "g", "o1", "{\"total\":1}");
    call(a, "stream::update", "{\"stream_name\":\"orders\",\"group_id\":\"g\",\"item_id\":\"o1\",\"ops\":[{\"type\":\"set\",\"path\":\"total\",\"value\":2}]}");
    delete(a, "orders", "g", "o1");
    delete(a, "orders", "g", "o1"); // nothing to delete: no trigger
    set(b, "orders", "g", "o2", "{\"total\":9}");
    // both engines have delivered every write to their sockets, so each has had the whole channel
    await().until(() -> changes(onA).size() == 4 && changes(onB).size() == 4);
    // and each engine's trigger pipeline has run past a later write of its own
    set(a, "probe", "g", "p", "1");
    set(b, "probe", "g", "p", "1");
    await().until(() -> fired(firedOnA, "probe").size() == 1 && fired(firedOnB, "probe").size() == 1);

    assertThat(fired(firedOnA, "orders")).containsExactlyInAnyOrder("o1:create", "o1:update", "o1:delete");
    assertThat(fired(firedOnB, "orders")).containsExactly("o2:create");
    JsonNode create = firedOnA.stream().filter(p -> p.get("event").get("type").asText().equals("create")).findFirst().orElseThrow();
    assertThat(create.get("type").asText()).isEqualTo("stream");
    assertThat(create.get("streamName").asText()).isEqualTo("orders");
    assertThat(create.get("groupId").asText()).isEqualTo("g");
    assertThat(create.get("event").get("data")).isEqualTo(json("{\"total\":1}"));
  }

  private static List<String> fired(List<JsonNode> payloads, String stream) {
    return payloads.stream()
        .filter(p -> p.get("streamName").asText().equals(stream))
        .map(p -> p.get("id").asText() + ":" + p.get("event").get("type").asText())
        .toList();
  }

  /** {@code stream} triggers on {@code orders} and {@code probe} in {@code engine}; returns what they are called with. */
  private static List<JsonNode> handler(IiiEngine engine) {
    Worker test = engine.core().registerBuiltinWorker("test");
    List<JsonNode> seen = new CopyOnWriteArrayList<>();
    engine.core().registerFunction(test, FunctionDefinition.of("t::on", "records"), BuiltinFunction.sync(c -> {
      seen.add(c.data());
      return null;
    }));
    engine.core().registerTrigger(new TriggerBinding("orders-trigger", "stream", "t::on", json("{\"stream_name\":\"orders\"}"), null, null));
    engine.core().registerTrigger(new TriggerBinding("probe-trigger", "stream", "t::on", json("{\"stream_name\":\"probe\"}"), null, null));
    return seen;
  }

  @Test
  void speaksUpstreamsMessageFormatOnTheChannel() throws Exception {
    IiiEngine a = engine(REDIS_URL);
    StreamClient onA = subscriber(a, "watch", "s", "g");
    String channel = prefix + "stream::events";
    BlockingQueue<String> heard = new LinkedBlockingQueue<>();
    try (StatefulRedisPubSubConnection<String, String> listener = local.connectPubSub()) {
      listener.addListener(new RedisPubSubAdapter<>() {
        @Override
        public void message(String from, String message) {
          heard.add(message);
        }
      });
      listener.sync().subscribe(channel);
      set(a, "s", "g", "x\\\"y", "{\"n\":1}");
      JsonNode message = json(heard.poll(10, TimeUnit.SECONDS));
      assertThat(message.get("timestamp").isIntegralNumber()).isTrue();
      ((ObjectNode) message).remove("timestamp");
      assertThat(message).isEqualTo(json("{\"type\":\"stream\",\"streamName\":\"s\",\"groupId\":\"g\",\"id\":\"x\\\"y\",\"event\":{\"type\":\"create\",\"data\":{\"n\":1}}}"));
    }
    // what another engine (upstream's, say) publishes reaches our subscribers; anything else is dropped
    redis.publish(channel, "not json");
    redis.publish(channel, "{\"type\":\"stream\",\"timestamp\":1,\"streamName\":\"s\",\"groupId\":\"g\",\"id\":\"u\",\"event\":{\"type\":\"sync\",\"data\":[]}}");
    redis.publish(channel, "{\"type\":\"stream\",\"timestamp\":1700000000000,\"streamName\":\"s\",\"groupId\":\"g\",\"id\":\"u\",\"event\":{\"type\":\"update\",\"data\":{\"from\":\"upstream\"}}}");
    fence(a, "s", "g", onA);
    List<JsonNode> seen = changes(onA);
    assertThat(seen).hasSize(3);
    assertThat(seen.get(1).get("timestamp").asLong()).isEqualTo(1700000000000L);
    assertThat(seen.get(1).get("event")).isEqualTo(json("{\"type\":\"update\",\"data\":{\"from\":\"upstream\"}}"));
  }

  @Test
  void aRedisOutageFailsWritesCleanlyAndSubscribersResyncWhenTheChangeLogNoLongerCoversTheGap() throws Exception {
    try (TcpProxy proxy = new TcpProxy(6379).start()) {
      IiiEngine flaky = engine("redis://127.0.0.1:" + proxy.port());
      IiiEngine steady = engine(REDIS_URL);
      StreamClient onFlaky = subscriber(flaky, "watch", "feed", "g");
      StreamClient onSteady = subscriber(steady, "watch", "feed", "g");
      set(flaky, "feed", "g", "before", "1");
      await().until(() -> changes(onSteady).size() == 1 && changes(onFlaky).size() == 1);

      proxy.stop();
      await().atMost(Duration.ofSeconds(30)).until(() -> failsWith(flaky, "STREAM_SET_ERROR",
          "{\"stream_name\":\"feed\",\"group_id\":\"g\",\"item_id\":\"lost\",\"data\":1}", "stream::set"));
      assertThat(failsWith(flaky, "STREAM_GET_ERROR", "{\"stream_name\":\"feed\",\"group_id\":\"g\",\"item_id\":\"before\"}", "stream::get")).isTrue();
      assertThat(failsWith(flaky, "STREAM_SEND_ERROR", "{\"stream_name\":\"feed\",\"group_id\":\"g\",\"type\":\"t\",\"data\":1}", "stream::send")).isTrue();
      // meanwhile the other engine writes; the cut-off engine's subscriber cannot hear it, and the
      // change log that could replay it is trimmed past it
      set(steady, "feed", "g", "during", "2");
      redis.xtrim(prefix + "stream::log", 0);

      proxy.start();
      // back on the channel, the engine cannot replay what it missed: its subscribers are told to rejoin
      await().atMost(Duration.ofSeconds(30)).until(() -> onFlaky.closed().isDone());
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        try {
          set(flaky, "feed", "g", "after", "3");
          return true;
        } catch (ExecutionException e) {
          return false;
        }
      });
      StreamClient again = subscriber(flaky, "watch", "feed", "g");
      assertThat(again.events("sync").get(0).get("event").get("data")).contains(json("1"), json("2"));
      set(flaky, "feed", "g", "last", "4");
      await().until(() -> changes(again).stream().anyMatch(f -> f.get("id").asText().equals("last")));
      await().until(() -> changes(onSteady).stream().anyMatch(f -> f.get("id").asText().equals("last")));
      assertThat(onSteady.closed().isDone()).as("the steady engine's subscriber was not disturbed").isFalse();
    }
  }

  @Test
  void subscribersOfAnEngineThatLostRedisGetWhatTheyMissedFromTheChangeLogAndStay() throws Exception {
    try (TcpProxy proxy = new TcpProxy(6379).start()) {
      IiiEngine flaky = engine("redis://127.0.0.1:" + proxy.port());
      IiiEngine steady = engine(REDIS_URL);
      StreamClient onFlaky = subscriber(flaky, "watch", "feed", "g");
      StreamClient onSteady = subscriber(steady, "watch", "feed", "g");
      set(steady, "feed", "g", "before", "0");
      await().until(() -> changes(onFlaky).size() == 1);

      proxy.stop();
      await().atMost(Duration.ofSeconds(30)).until(() -> failsWith(flaky, "STREAM_SET_ERROR",
          "{\"stream_name\":\"feed\",\"group_id\":\"g\",\"item_id\":\"lost\",\"data\":1}", "stream::set"));
      for (int n = 1; n <= 5; n++) {
        set(steady, "feed", "g", "missed-" + n, String.valueOf(n));
      }
      set(steady, "feed", "g", "missed-1", "11");
      delete(steady, "feed", "g", "missed-2");
      call(steady, "stream::send", "{\"stream_name\":\"feed\",\"group_id\":\"g\",\"type\":\"ping\",\"data\":1,\"id\":\"ping-1\"}");
      set(steady, "other", "g", "elsewhere", "1"); // another stream's change is in the log too

      proxy.start();
      set(steady, "feed", "g", "after", "6");
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        try {
          set(flaky, "feed", "g", "back", "7");
          return true;
        } catch (ExecutionException e) {
          return false;
        }
      });
      fence(steady, "feed", "g", onFlaky, onSteady);

      assertThat(onFlaky.closed().isDone()).as("not cut off").isFalse();
      assertThat(onFlaky.events("sync")).as("no resync").hasSize(1);
      List<JsonNode> seen = changes(onFlaky);
      assertThat(seen.stream().map(f -> f.path("id").asText() + ":" + f.get("event").get("type").asText()).toList().subList(0, 10))
          .containsExactly("before:create", "missed-1:create", "missed-2:create", "missed-3:create", "missed-4:create", "missed-5:create",
              "missed-1:update", "missed-2:delete", "ping-1:event", "after:create");
      assertThat(seen.get(6).get("event").get("data")).isEqualTo(json("11"));
      assertThat(seen.stream().map(f -> f.path("id").asText()).toList().subList(10, seen.size()))
          .as("then the write made once it was back, and the fence").hasSize(2).startsWith("back");
      long syncSeq = onFlaky.events("sync").get(0).get("seq").asLong();
      for (int i = 0; i < seen.size(); i++) {
        assertThat(seen.get(i).get("seq").asLong()).as("numbered without a gap").isEqualTo(syncSeq + 1 + i);
      }
      assertThat(seen.stream().map(f -> f.path("event")).toList())
          .as("what the steady engine's subscriber saw, in the same order")
          .isEqualTo(changes(onSteady).stream().map(f -> f.path("event")).toList());
    }
  }

  @Test
  void anEngineThatHeardMessagesFromOutsideTheChangeLogResyncsAfterAnOutage() throws Exception {
    try (TcpProxy proxy = new TcpProxy(6379).start()) {
      IiiEngine flaky = engine("redis://127.0.0.1:" + proxy.port());
      IiiEngine steady = engine(REDIS_URL);
      StreamClient onFlaky = subscriber(flaky, "watch", "feed", "g");
      // an upstream engine's change: not in the log, so a gap may have lost others like it
      redis.publish(prefix + "stream::events",
          "{\"type\":\"stream\",\"timestamp\":1,\"streamName\":\"feed\",\"groupId\":\"g\",\"id\":\"u\",\"event\":{\"type\":\"create\",\"data\":1}}");
      await().until(() -> changes(onFlaky).size() == 1);

      proxy.stop();
      await().atMost(Duration.ofSeconds(30)).until(() -> failsWith(flaky, "STREAM_SET_ERROR",
          "{\"stream_name\":\"feed\",\"group_id\":\"g\",\"item_id\":\"lost\",\"data\":1}", "stream::set"));
      set(steady, "feed", "g", "during", "2");
      proxy.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> onFlaky.closed().isDone());
    }
  }

  private static boolean failsWith(IiiEngine engine, String code, String input, String function) throws Exception {
    try {
      call(engine, function, input);
      return false;
    } catch (ExecutionException e) {
      return InvocationException.bodyOf(e.getCause()).code().equals(code);
    }
  }

  @Test
  void anUnreachableRedisStopsTheEngineFromStartingWithAClearMessage() throws Exception {
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0)) {
      closedPort = probe.getLocalPort();
    }
    assertThatThrownBy(() -> engine("redis://127.0.0.1:" + closedPort))
        .hasMessageContaining("Redis")
        .hasMessageContaining("redis://127.0.0.1:" + closedPort);
  }
}
