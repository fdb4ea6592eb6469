package io.linkly.iii.engine.workers.state;

import static io.linkly.iii.engine.workers.state.Wire.call;
import static io.linkly.iii.engine.workers.state.Wire.json;
import static io.linkly.iii.engine.workers.state.Wire.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lettuce.core.api.sync.RedisCommands;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.LocalRedis;
import io.linkly.iii.engine.testing.LogCapture;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.engine.workers.StartupException;
import io.linkly.iii.protocol.Json;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * iii-state's redis adapter against the local Redis (127.0.0.1:6379), with engines sharing it.
 * Every scope a test writes starts with a prefix of its own ({@code iii-test-<uuid>:}), so that
 * parallel runs do not meet, and its hashes are deleted afterwards. Required when CI=true;
 * elsewhere skipped, with the reason printed, if Redis is not there.
 */
class StateRedisTest {

  private static LocalRedis local;
  private static RedisCommands<String, String> redis;

  private final List<AutoCloseable> open = new ArrayList<>();
  private String run;

  @BeforeAll
  static void connectToRedis() {
    local = LocalRedis.require("StateRedisTest");
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
    run = "iii-test-" + UUID.randomUUID() + ":";
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
    local.deleteKeysStartingWith("state:" + run);
  }

  private IiiEngine engine(String redisUrl) throws Exception {
    ObjectNode adapter = Json.object().put("name", "redis");
    adapter.putObject("config").put("redis_url", redisUrl);
    IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-state", "adapter", adapter));
    open.add(engine);
    return engine;
  }

  private RawWorker caller(IiiEngine engine) throws Exception {
    RawWorker worker = RawWorker.connect(engine.workerUrl());
    open.add(worker);
    return worker;
  }

  /** A scope of this test only. */
  private String scope(String name) {
    return run + name;
  }

  private static String at(String scope, String key) {
    return "\"scope\":\"" + scope + "\",\"key\":\"" + key + "\"";
  }

  private static JsonNode set(RawWorker w, String scope, String key, String value) throws Exception {
    return result(w, "state::set", "{" + at(scope, key) + ",\"value\":" + value + "}");
  }

  private static List<String> groups(RawWorker w) throws Exception {
    List<String> out = new ArrayList<>();
    result(w, "state::list_groups", "{}").get("groups").forEach(g -> out.add(g.asText()));
    return out;
  }

  private static JsonNode error(JsonNode reply) {
    assertThat(reply.has("error")).as("reply %s", reply).isTrue();
    return reply.get("error");
  }

  @Test
  void functionsRoundTripThroughUpstreamsHashLayout() throws Exception {
    RawWorker w = caller(engine(LocalRedis.URL));
    String users = scope("users");
    String hash = "state:" + users;

    assertThat(set(w, users, "u1", "{\"name\":\"Alice\",\"tags\":[1,2.5,null,true]}"))
        .isEqualTo(json("{\"old_value\":null,\"new_value\":{\"name\":\"Alice\",\"tags\":[1,2.5,null,true]}}"));
    assertThat(redis.type(hash)).isEqualTo("hash");
    assertThat(redis.hget(hash, "u1")).as("the value's compact JSON text").isEqualTo("{\"name\":\"Alice\",\"tags\":[1,2.5,null,true]}");
    assertThat(set(w, users, "u1", "{\"name\":\"Bob\"}"))
        .isEqualTo(json("{\"old_value\":{\"name\":\"Alice\",\"tags\":[1,2.5,null,true]},\"new_value\":{\"name\":\"Bob\"}}"));
    set(w, users, "u2", "\"two\"");
    set(w, users, "nothing", "null");
    assertThat(redis.hgetall(hash)).containsOnly(
        Map.entry("u1", "{\"name\":\"Bob\"}"), Map.entry("u2", "\"two\""), Map.entry("nothing", "null"));
    redis.hset(hash, "u3", "{\"written\":\"elsewhere\"}"); // as an upstream engine would write it

    assertThat(result(w, "state::get", "{" + at(users, "u1") + "}")).isEqualTo(json("{\"name\":\"Bob\"}"));
    assertThat(result(w, "state::get", "{" + at(users, "u3") + "}")).isEqualTo(json("{\"written\":\"elsewhere\"}"));
    JsonNode missing = call(w, "state::get", "{" + at(users, "nope") + "}");
    assertThat(missing.has("result")).as("a missing key has no result").isFalse();
    assertThat(missing.has("error")).isFalse();
    assertThat(result(w, "state::list", "{\"scope\":\"" + users + "\"}"))
        .containsExactlyInAnyOrder(json("{\"name\":\"Bob\"}"), json("\"two\""), json("null"), json("{\"written\":\"elsewhere\"}"));
    assertThat(result(w, "state::list", "{\"scope\":\"" + scope("none") + "\"}")).isEqualTo(json("[]"));

    JsonNode created = result(w, "state::update", "{" + at(users, "n") + ",\"ops\":[{\"type\":\"increment\",\"path\":\"count\",\"by\":2}]}");
    assertThat(created).isEqualTo(json("{\"old_value\":null,\"new_value\":{\"count\":2}}"));
    JsonNode partial = result(w, "state::update",
        "{" + at(users, "n") + ",\"ops\":[{\"type\":\"increment\",\"path\":\"count\",\"by\":3},{\"type\":\"append\",\"path\":\"count\",\"value\":1}]}");
    assertThat(partial.get("old_value")).isEqualTo(json("{\"count\":2}"));
    assertThat(partial.get("new_value")).isEqualTo(json("{\"count\":5}"));
    assertThat(partial.get("errors").get(0).get("op_index").asInt()).isEqualTo(1);
    assertThat(redis.hget(hash, "n")).isEqualTo("{\"count\":5}");

    assertThat(result(w, "state::delete", "{" + at(users, "u1") + "}")).isEqualTo(json("{\"name\":\"Bob\"}"));
    assertThat(redis.hexists(hash, "u1")).isFalse();
    JsonNode again = call(w, "state::delete", "{" + at(users, "u1") + "}");
    assertThat(again.has("result")).as("deleting nothing returns nothing").isFalse();
    assertThat(again.has("error")).isFalse();
  }

  @Test
  void listGroupsNamesScopesThatHoldAKeySortedAndLiterally() throws Exception {
    RawWorker w = caller(engine(LocalRedis.URL));
    List<String> mine = List.of(scope("b"), scope("a"), scope("glob*[x]?"), scope("emptied"));
    for (String s : mine) {
      set(w, s, "k1", "1");
      set(w, s, "k2", "2");
    }
    redis.set("state:" + run + "a-string", "not a hash"); // another program's key under the prefix
    call(w, "state::delete", "{" + at(scope("emptied"), "k1") + "}");
    call(w, "state::delete", "{" + at(scope("emptied"), "k2") + "}");

    List<String> groups = groups(w);
    assertThat(groups).as("sorted").isSortedAccordingTo(String::compareTo).doesNotHaveDuplicates();
    assertThat(groups.stream().filter(g -> g.startsWith(run)).toList())
        .as("scopes that hold a key: not the emptied one (its hash is gone, as upstream's), not a key of another type")
        .containsExactly(scope("a"), scope("b"), scope("glob*[x]?"));
    assertThat(redis.exists("state:" + scope("emptied"))).isZero();
  }

  @Test
  void twoEnginesSeeEachOthersWrites() throws Exception {
    RawWorker a = caller(engine(LocalRedis.URL));
    RawWorker b = caller(engine(LocalRedis.URL));
    String shared = scope("shared");

    set(a, shared, "k", "{\"from\":\"a\"}");
    assertThat(result(b, "state::get", "{" + at(shared, "k") + "}")).isEqualTo(json("{\"from\":\"a\"}"));
    result(b, "state::update", "{" + at(shared, "k") + ",\"ops\":[{\"type\":\"set\",\"path\":\"by\",\"value\":\"b\"}]}");
    assertThat(result(a, "state::get", "{" + at(shared, "k") + "}")).isEqualTo(json("{\"from\":\"a\",\"by\":\"b\"}"));
    assertThat(groups(b)).contains(shared);
    assertThat(result(b, "state::list", "{\"scope\":\"" + shared + "\"}")).containsExactly(json("{\"from\":\"a\",\"by\":\"b\"}"));
    assertThat(result(b, "state::delete", "{" + at(shared, "k") + "}")).isEqualTo(json("{\"from\":\"a\",\"by\":\"b\"}"));
    assertThat(call(a, "state::get", "{" + at(shared, "k") + "}").has("result")).isFalse();
    assertThat(groups(a)).doesNotContain(shared);
  }

  @Test
  void concurrentUpdatesFromTwoEnginesLoseNoIncrement() throws Exception {
    RawWorker a = caller(engine(LocalRedis.URL));
    RawWorker b = caller(engine(LocalRedis.URL));
    String counters = scope("counters");
    JsonNode increment = json("{" + at(counters, "hits") + ",\"ops\":[{\"type\":\"increment\",\"path\":\"n\",\"by\":1}]}");

    // all 400 in flight at once: each engine runs its 200 side by side against the other's
    List<String> onA = new ArrayList<>();
    List<String> onB = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      onA.add(a.invoke("state::update", increment, null));
      onB.add(b.invoke("state::update", increment, null));
    }
    List<JsonNode> results = new ArrayList<>();
    for (String id : onA) {
      results.add(a.answer(id));
    }
    for (String id : onB) {
      results.add(b.answer(id));
    }

    Set<Long> seen = new HashSet<>();
    for (JsonNode reply : results) {
      assertThat(reply.has("error")).as("reply %s", reply).isFalse();
      JsonNode r = reply.get("result");
      long before = r.get("old_value").isNull() ? 0 : r.get("old_value").get("n").asLong();
      long after = r.get("new_value").get("n").asLong();
      assertThat(after).as("each update starts from the value it replaced").isEqualTo(before + 1);
      seen.add(after);
    }
    assertThat(seen).as("no two updates wrote the same count").hasSize(400);
    assertThat(result(a, "state::get", "{" + at(counters, "hits") + "}")).isEqualTo(json("{\"n\":400}"));
    assertThat(redis.hget("state:" + counters, "hits")).isEqualTo("{\"n\":400}");
  }

  @Test
  void setReportsTheValueItReplacedWhicheverEngineWroteIt() throws Exception {
    RawWorker a = caller(engine(LocalRedis.URL));
    RawWorker b = caller(engine(LocalRedis.URL));
    String s = scope("race");

    set(a, s, "k", "\"from-a\"");
    assertThat(set(b, s, "k", "\"from-b\"")).isEqualTo(json("{\"old_value\":\"from-a\",\"new_value\":\"from-b\"}"));
    assertThat(set(a, s, "k", "\"a-again\"").get("old_value")).isEqualTo(json("\"from-b\""));

    // racing sets: every value but the last is reported as replaced exactly once, by one set
    List<String> onA = new ArrayList<>();
    List<String> onB = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      onA.add(a.invoke("state::set", json("{" + at(s, "r") + ",\"value\":\"a" + i + "\"}"), null));
      onB.add(b.invoke("state::set", json("{" + at(s, "r") + ",\"value\":\"b" + i + "\"}"), null));
    }
    List<JsonNode> results = new ArrayList<>();
    for (String id : onA) {
      results.add(a.answer(id).get("result"));
    }
    for (String id : onB) {
      results.add(b.answer(id).get("result"));
    }
    List<String> replaced = new ArrayList<>();
    Set<String> written = new HashSet<>();
    for (JsonNode r : results) {
      written.add(r.get("new_value").asText());
      if (!r.get("old_value").isNull()) {
        replaced.add(r.get("old_value").asText());
      }
    }
    String last = result(a, "state::get", "{" + at(s, "r") + "}").asText();
    assertThat(replaced).as("one set found the key missing; no two sets replaced the same value").hasSize(299).doesNotHaveDuplicates();
    assertThat(written).containsAll(replaced).contains(last);
    assertThat(replaced).doesNotContain(last);
  }

  @Test
  void aValueThatIsNotJsonIsAClearErrorAndCanBeReplaced() throws Exception {
    RawWorker w = caller(engine(LocalRedis.URL));
    String s = scope("planted");
    String hash = "state:" + s;
    redis.hset(hash, "bad", "not json {");
    redis.hset(hash, "good", "1");

    JsonNode get = error(call(w, "state::get", "{" + at(s, "bad") + "}"));
    assertThat(get.get("code").asText()).isEqualTo("GET_ERROR");
    assertThat(get.get("message").asText())
        .startsWith("Failed to get value: the value of key 'bad' in Redis hash " + hash + " is not JSON");
    JsonNode list = error(call(w, "state::list", "{\"scope\":\"" + s + "\"}"));
    assertThat(list.get("code").asText()).isEqualTo("LIST_ERROR");
    assertThat(list.get("message").asText()).contains("key 'bad'").contains(hash).contains("not JSON");
    JsonNode update = error(call(w, "state::update", "{" + at(s, "bad") + ",\"ops\":[{\"type\":\"set\",\"path\":\"x\",\"value\":1}]}"));
    assertThat(update.get("code").asText()).isEqualTo("UPDATE_ERROR");
    assertThat(update.get("message").asText()).contains("not JSON");
    assertThat(redis.hget(hash, "bad")).as("a failed update changes nothing").isEqualTo("not json {");
    redis.hset(hash, "trailing", "{\"a\":1} and more");
    assertThat(error(call(w, "state::get", "{" + at(s, "trailing") + "}")).get("message").asText()).contains("not JSON");

    assertThat(result(w, "state::get", "{" + at(s, "good") + "}")).as("the engine serves on").isEqualTo(json("1"));
    assertThat(set(w, s, "bad", "{\"fixed\":true}"))
        .as("a set repairs it; what it replaced cannot be read, so it is reported as null")
        .isEqualTo(json("{\"old_value\":null,\"new_value\":{\"fixed\":true}}"));
    assertThat(result(w, "state::get", "{" + at(s, "bad") + "}")).isEqualTo(json("{\"fixed\":true}"));
    redis.hset(hash, "bad", "\u0000garbage");
    assertThat(call(w, "state::delete", "{" + at(s, "bad") + "}").has("error")).as("a delete removes it").isFalse();
    assertThat(redis.hexists(hash, "bad")).isFalse();
  }

  @Test
  void stateTriggersFireOnlyOnTheEngineThatWrote() throws Exception {
    IiiEngine a = engine(LocalRedis.URL);
    IiiEngine b = engine(LocalRedis.URL);
    String s = scope("watched");
    Responder onA = handler(a, "watch-a", "t::on_a", s);
    Responder onB = handler(b, "watch-b", "t::on_b", s);
    RawWorker toA = caller(a);
    RawWorker toB = caller(b);

    set(toA, s, "from-a", "1");
    assertThat(onA.awaitCall("t::on_a", "from-a").get("data").get("event_type").asText()).isEqualTo("state:created");
    set(toB, s, "from-b", "2");
    assertThat(onB.awaitCall("t::on_b", "from-b").get("data").get("event_type").asText()).isEqualTo("state:created");
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() ->
        onA.calls("t::on_a").stream().noneMatch(c -> c.get("data").get("key").asText().equals("from-b"))
            && onB.calls("t::on_b").stream().noneMatch(c -> c.get("data").get("key").asText().equals("from-a")));
  }

  private Responder handler(IiiEngine engine, String binding, String function, String scope) throws Exception {
    RawWorker socket = caller(engine);
    Responder responder = new Responder(socket).serve(function);
    open.add(responder);
    socket.send("{\"type\":\"registertrigger\",\"id\":\"" + binding + "\",\"trigger_type\":\"state\",\"function_id\":\""
        + function + "\",\"config\":{\"scope\":\"" + scope + "\"}}");
    await().until(() -> engine.core().triggerBindings().stream().anyMatch(t -> t.id().equals(binding)));
    return responder;
  }

  @Test
  void theRedisAdapterChosenAtRunTimeWaitsForTheNextStart() throws Exception {
    try (LogCapture logs = new LogCapture()) {
      IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral());
      open.add(engine);
      RawWorker w = caller(engine);
      JsonNode wrongKeys = error(w.call("configuration::set",
          "{\"id\":\"iii-state\",\"value\":{\"adapter\":{\"name\":\"redis\",\"config\":{\"store_method\":\"file_based\"}}}}"));
      assertThat(wrongKeys.get("code").asText()).isEqualTo("SCHEMA_INVALID");
      assertThat(wrongKeys.get("message").asText()).contains("store_method");

      result(w, "configuration::set",
          "{\"id\":\"iii-state\",\"value\":{\"adapter\":{\"name\":\"redis\",\"config\":{\"redis_url\":\"" + LocalRedis.URL + "\"}}}}");
      await().until(() -> !logs.containing("iii-state: 'adapter' changed; it takes effect when the engine restarts").isEmpty());
      set(w, scope("still-kv"), "k", "1");
      assertThat(redis.exists("state:" + scope("still-kv"))).as("the running store is kept").isZero();
    }
  }

  @Test
  void anUnreachableRedisStopsTheStartNamingTheWorkerAndTheUrlWithoutItsPassword() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    assertThatThrownBy(() -> engine("redis://127.0.0.1:" + closedPort))
        .isInstanceOf(StartupException.class)
        .hasMessageStartingWith("iii-state cannot use its redis adapter")
        .hasMessageContaining(".adapter.config.redis_url")
        .hasMessageContaining("Redis at redis://127.0.0.1:" + closedPort);
    assertThatThrownBy(() -> engine("redis://:s3cret@127.0.0.1:1"))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("iii-state")
        .hasMessageContaining("redis://***@127.0.0.1:1")
        .hasMessageNotContaining("s3cret");
  }
}
