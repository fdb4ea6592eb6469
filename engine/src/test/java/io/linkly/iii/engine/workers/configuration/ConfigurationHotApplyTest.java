package io.linkly.iii.engine.workers.configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.LocalRedis;
import io.linkly.iii.engine.testing.LogCapture;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.engine.testing.StreamClient;
import io.linkly.iii.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Built-ins keep their settings in the configuration worker (BUILTINS.md §0.5): seeded from
 * config.yaml on the first start, the stored value winning afterwards, and changes applied
 * without a restart — by configuration::set or by editing config/&lt;id&gt;.yaml — with no
 * pub/sub or stream subscriber dropped when the adapter changes.
 */
class ConfigurationHotApplyTest {

  private static LocalRedis redis;

  @TempDir Path dir;

  @BeforeAll
  static void redis() {
    redis = LocalRedis.require(ConfigurationHotApplyTest.class.getName());
  }

  @AfterAll
  static void closeRedis() {
    redis.close();
  }

  private EngineConfig config(Path configDir) {
    ObjectNode adapter = Json.object().put("name", "fs");
    adapter.putObject("config").put("directory", configDir.toString());
    return EngineConfig.ephemeral().withSetting("configuration", "adapter", adapter);
  }

  private static JsonNode json(String text) throws Exception {
    return Json.mapper().readTree(text);
  }

  private static JsonNode ok(RawWorker caller, String function, String data) throws Exception {
    JsonNode answer = caller.call(function, data);
    assertThat(answer.has("error")).as("%s answered %s", function, answer).isFalse();
    return answer.get("result");
  }

  /** The next call the engine makes to {@code handler}, answered; null when none comes within {@code wait}. */
  private static JsonNode nextCall(RawWorker handler, Duration wait) throws Exception {
    JsonNode invocation = handler.next(m -> m.path("type").asText().equals("invokefunction"), wait);
    if (invocation != null) {
      handler.send("{\"type\":\"invocationresult\",\"invocation_id\":\"" + invocation.get("invocation_id").asText()
          + "\",\"function_id\":\"" + invocation.get("function_id").asText() + "\"}");
    }
    return invocation;
  }

  private static void bind(IiiEngine engine, RawWorker handler, String bindingId, String type, String function, String config) {
    handler.send("{\"type\":\"registerfunction\",\"id\":\"" + function + "\"}");
    handler.send("{\"type\":\"registertrigger\",\"id\":\"" + bindingId + "\",\"trigger_type\":\"" + type
        + "\",\"function_id\":\"" + function + "\",\"config\":" + config + "}");
    await().until(() -> engine.core().triggerBindings().stream().anyMatch(b -> b.id().equals(bindingId)));
  }

  @Test
  void seededOnTheFirstStartAndTheStoredValueWinsOnTheNext() throws Exception {
    Path configDir = dir.resolve("config");
    try (IiiEngine engine = IiiEngine.start(config(configDir).withSetting("iii-state", "triggers_enabled", json("false")));
        RawWorker caller = RawWorker.connect(engine.workerUrl())) {
      for (String id : new String[] {"iii-state", "iii-pubsub", "iii-stream"}) {
        assertThat(configDir.resolve(id + ".yaml")).exists();
      }
      String file = Files.readString(configDir.resolve("iii-state.yaml"));
      assertThat(file).contains("id: iii-state").contains("name: State").contains("triggers_enabled: false").doesNotContain("schema");
      assertThat(ok(caller, "configuration::schema", "{\"id\":\"iii-state\"}").get("schema").get("properties").has("triggers_enabled")).isTrue();
    }
    try (IiiEngine engine = IiiEngine.start(config(configDir).withSetting("iii-state", "triggers_enabled", json("true")));
        RawWorker caller = RawWorker.connect(engine.workerUrl());
        RawWorker handler = RawWorker.connect(engine.workerUrl())) {
      assertThat(ok(caller, "configuration::get", "{\"id\":\"iii-state\"}").get("value")).isEqualTo(json("{\"triggers_enabled\":false}"));
      bind(engine, handler, "on-state", "state", "test::on_state", "{\"scope\":\"s\"}");
      ok(caller, "state::set", "{\"scope\":\"s\",\"key\":\"while-off\",\"value\":1}");
      // the stored false is in force: turning triggers on is what makes the next write fire
      ok(caller, "configuration::set", "{\"id\":\"iii-state\",\"value\":{\"triggers_enabled\":true}}");
      await().untilAsserted(() -> {
        ok(caller, "state::set", "{\"scope\":\"s\",\"key\":\"while-on\",\"value\":2}");
        JsonNode fired = nextCall(handler, Duration.ofMillis(200));
        assertThat(fired).isNotNull();
        assertThat(fired.get("data").get("key").asText()).isEqualTo("while-on");
      });
    }
  }

  @Test
  void anExternalEditFiresTheTriggerAndApplies_aBadOneIsRefusedAndTheOldValueKept() throws Exception {
    Path configDir = dir.resolve("config");
    try (IiiEngine engine = IiiEngine.start(config(configDir));
        RawWorker caller = RawWorker.connect(engine.workerUrl());
        RawWorker watcher = RawWorker.connect(engine.workerUrl());
        RawWorker handler = RawWorker.connect(engine.workerUrl());
        LogCapture logs = new LogCapture()) {
      bind(engine, watcher, "watch-state", "configuration", "test::on_config", "{\"configuration_id\":\"iii-state\"}");
      bind(engine, handler, "on-state", "state", "test::on_state", "{\"scope\":\"s\"}");
      Path file = configDir.resolve("iii-state.yaml");

      Files.writeString(file, "id: iii-state\nname: State\ndescription: edited by hand\nvalue:\n  triggers_enabled: false\n");
      JsonNode event = nextCall(watcher, Duration.ofSeconds(10));
      assertThat(event).as("the edit reached the configuration trigger").isNotNull();
      assertThat(event.get("data").get("event_type").asText()).isEqualTo("configuration:updated");
      assertThat(event.get("data").get("old_value")).isEqualTo(json("{}"));
      assertThat(event.get("data").get("new_value")).isEqualTo(json("{\"triggers_enabled\":false}"));
      await().until(() -> !logs.containing("iii-state: configuration applied (triggers_enabled: false").isEmpty());
      ok(caller, "state::set", "{\"scope\":\"s\",\"key\":\"while-off\",\"value\":1}");

      Files.writeString(file, "id: iii-state\nname: State\ndescription: edited by hand\nvalue:\n  triggers_enabled: \"yes\"\n");
      await().until(() -> logs.containing("edit of").stream().anyMatch(m -> m.contains("refused") && m.contains("triggers_enabled")));
      assertThat(ok(caller, "configuration::get", "{\"id\":\"iii-state\"}").get("value")).isEqualTo(json("{\"triggers_enabled\":false}"));

      Files.writeString(file, "id: iii-state\nname: State\ndescription: edited by hand\nvalue:\n  triggers_enabled: true\n");
      // handlers of one event run one after another: the test's own comes first and must answer
      assertThat(nextCall(watcher, Duration.ofSeconds(10)).get("data").get("new_value")).isEqualTo(json("{\"triggers_enabled\":true}"));
      await().untilAsserted(() -> {
        ok(caller, "state::set", "{\"scope\":\"s\",\"key\":\"while-on\",\"value\":2}");
        JsonNode fired = nextCall(handler, Duration.ofMillis(200));
        assertThat(fired).isNotNull();
        assertThat(fired.get("data").get("key").asText()).as("nothing fired while triggers were off").isEqualTo("while-on");
      });
    }
  }

  @Test
  void aPubSubSubscriberKeepsReceivingAcrossAdapterChanges() throws Exception {
    String topic = "config-test-" + UUID.randomUUID();
    try (IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral());
        RawWorker caller = RawWorker.connect(engine.workerUrl());
        RawWorker subscriber = RawWorker.connect(engine.workerUrl());
        LogCapture logs = new LogCapture()) {
      bind(engine, subscriber, "sub", "subscribe", "test::on_event", "{\"topic\":\"" + topic + "\"}");
      ok(caller, "publish", "{\"topic\":\"" + topic + "\",\"data\":{\"n\":1}}");
      assertThat(nextCall(subscriber, Duration.ofSeconds(10)).get("data")).isEqualTo(json("{\"n\":1}"));

      ok(caller, "configuration::set", "{\"id\":\"iii-pubsub\",\"value\":{\"adapter\":{\"name\":\"redis\",\"config\":{\"redis_url\":\"" + LocalRedis.URL + "\"}}}}");
      await().until(() -> !logs.containing("iii-pubsub: adapter changed from local to redis").isEmpty());
      // the subscription is now Redis's: a message published straight to the channel reaches it
      redis.commands().publish(topic, Json.write(json("{\"n\":2}")));
      ok(caller, "publish", "{\"topic\":\"" + topic + "\",\"data\":{\"n\":3}}");
      int first = nextCall(subscriber, Duration.ofSeconds(10)).get("data").get("n").asInt();
      int second = nextCall(subscriber, Duration.ofSeconds(10)).get("data").get("n").asInt();
      assertThat(java.util.List.of(first, second)).containsExactlyInAnyOrder(2, 3);

      ok(caller, "configuration::set", "{\"id\":\"iii-pubsub\",\"value\":{\"adapter\":{\"name\":\"local\"}}}");
      await().until(() -> !logs.containing("iii-pubsub: adapter changed from redis to local").isEmpty());
      ok(caller, "publish", "{\"topic\":\"" + topic + "\",\"data\":{\"n\":4}}");
      assertThat(nextCall(subscriber, Duration.ofSeconds(10)).get("data")).isEqualTo(json("{\"n\":4}"));
    }
  }

  @Test
  void aStreamSubscriberKeepsReceivingAcrossAnAdapterChange() throws Exception {
    String prefix = "config-test-" + UUID.randomUUID() + ":";
    try (IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral());
        RawWorker caller = RawWorker.connect(engine.workerUrl());
        LogCapture logs = new LogCapture();
        StreamClient client = StreamClient.connect("ws://127.0.0.1:" + engine.port("iii-stream").orElseThrow() + "/").join("s", "feed", "g")) {
      await().until(() -> client.events("sync").size() == 1);
      ok(caller, "stream::set", "{\"stream_name\":\"feed\",\"group_id\":\"g\",\"item_id\":\"a\",\"data\":{\"n\":1}}");
      await().until(() -> client.events("create").size() == 1);

      ok(caller, "configuration::set", "{\"id\":\"iii-stream\",\"value\":{\"adapter\":{\"name\":\"redis\",\"config\":{\"redis_url\":\""
          + LocalRedis.URL + "\",\"key_prefix\":\"" + prefix + "\"}}}}");
      await().until(() -> !logs.containing("iii-stream: adapter changed from memory to redis").isEmpty());
      ok(caller, "stream::set", "{\"stream_name\":\"feed\",\"group_id\":\"g\",\"item_id\":\"b\",\"data\":{\"n\":2}}");
      await().until(() -> client.events("create").size() == 2);
      assertThat(client.events("create").get(1).get("event").get("data")).isEqualTo(json("{\"n\":2}"));
      assertThat(client.closed()).isNotDone();
      assertThat(ok(caller, "stream::get", "{\"stream_name\":\"feed\",\"group_id\":\"g\",\"item_id\":\"b\"}")).isEqualTo(json("{\"n\":2}"));
    } finally {
      redis.deleteKeysStartingWith(prefix);
    }
  }

  @Test
  void aChangeThatCannotBeAppliedKeepsThePreviousSettings() throws Exception {
    String topic = "config-test-" + UUID.randomUUID();
    try (IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral());
        RawWorker caller = RawWorker.connect(engine.workerUrl());
        RawWorker subscriber = RawWorker.connect(engine.workerUrl());
        LogCapture logs = new LogCapture()) {
      bind(engine, subscriber, "sub", "subscribe", "test::on_event", "{\"topic\":\"" + topic + "\"}");
      // valid for the schema, but nothing listens there
      ok(caller, "configuration::set", "{\"id\":\"iii-pubsub\",\"value\":{\"adapter\":{\"name\":\"redis\",\"config\":{\"redis_url\":\"redis://127.0.0.1:1\"}}}}");
      await().until(() -> !logs.containing("iii-pubsub: configuration change could not be applied, keeping the previous settings").isEmpty());
      ok(caller, "publish", "{\"topic\":\"" + topic + "\",\"data\":{\"n\":1}}");
      assertThat(nextCall(subscriber, Duration.ofSeconds(10)).get("data")).isEqualTo(json("{\"n\":1}"));

      ok(caller, "configuration::set", "{\"id\":\"iii-stream\",\"value\":{\"port\":1}}");
      await().until(() -> !logs.containing("iii-stream: 'port' changed; it takes effect when the engine restarts").isEmpty());
    }
  }

  @Test
  void observabilitySamplingRatiosApplyLive() throws Exception {
    try (IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral());
        RawWorker caller = RawWorker.connect(engine.workerUrl())) {
      assertThat(ok(caller, "engine::sampling::rules", "{}").get("logs").get("sampling_ratio").asDouble()).isEqualTo(1.0);
      ok(caller, "configuration::set", "{\"id\":\"iii-observability\",\"value\":{\"logs_sampling_ratio\":0.25,\"sampling_ratio\":0.5,\"logs_console_output\":false}}");
      await().untilAsserted(() -> {
        JsonNode rules = ok(caller, "engine::sampling::rules", "{}");
        assertThat(rules.get("logs").get("sampling_ratio").asDouble()).isEqualTo(0.25);
        assertThat(rules.get("traces").get("default_ratio").asDouble()).isEqualTo(0.5);
      });
      JsonNode refused = caller.call("configuration::set", "{\"id\":\"iii-observability\",\"value\":{\"sampling_ratio\":2}}").get("error");
      assertThat(refused.get("code").asText()).isEqualTo("SCHEMA_INVALID");
      assertThat(refused.get("message").asText()).contains("sampling_ratio");
    }
  }
}
