package io.linkly.iii.engine.workers.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.TriggerProvider.TriggerRejectedException;
import io.linkly.iii.engine.workers.cron.adapter.MemoryCronLocks;
import io.linkly.iii.protocol.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@code cron} trigger type on a running engine, driven over the worker socket (BUILTINS.md §8). */
class CronTriggerTest {

  private static final String EVERY_SECOND = "{\"expression\":\"* * * * * *\"}";

  private IiiEngine engine;
  private CronPeer peer;
  private String job;

  @BeforeEach
  void start() throws Exception {
    ObjectNode kv = Json.object().put("name", "kv");
    kv.putObject("config").put("lock_ttl_ms", 30000);
    engine = IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-cron", "adapter", kv));
    peer = CronPeer.connect(engine);
    job = "tick-" + UUID.randomUUID();
  }

  @AfterEach
  void stop() {
    peer.close();
    engine.close();
  }

  private CronWorker cron() {
    return engine.worker(CronWorker.class).orElseThrow();
  }

  private static Instant time(JsonNode call, String field) {
    return Instant.parse(call.get("data").get(field).asText());
  }

  @Test
  void everySecondTheHandlerGetsUpstreamsPayloadAndTheBindingsMetadata() throws Exception {
    peer.serve("cron::tick").bind(job, "cron::tick", EVERY_SECOND, "{\"team\":\"ops\"}");
    await().atMost(Duration.ofSeconds(15)).until(() -> peer.calls("cron::tick").size() >= 3);

    List<JsonNode> calls = peer.calls("cron::tick");
    Instant previous = Instant.EPOCH;
    for (JsonNode call : calls) {
      JsonNode data = call.get("data");
      assertThat(data.properties()).extracting(e -> e.getKey()).containsExactly("trigger", "job_id", "scheduled_time", "actual_time");
      assertThat(data.get("trigger").asText()).isEqualTo("cron");
      assertThat(data.get("job_id").asText()).isEqualTo(job);
      assertThat(data.get("scheduled_time").asText())
          .as("a whole second, UTC, +00:00").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+00:00");
      assertThat(data.get("actual_time").asText())
          .as("fractional seconds, UTC, +00:00").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{3}|\\.\\d{6}|\\.\\d{9})?\\+00:00");
      assertThat(time(call, "actual_time")).isAfterOrEqualTo(time(call, "scheduled_time"));
      assertThat(time(call, "scheduled_time")).as("one call per firing, in order").isAfter(previous);
      previous = time(call, "scheduled_time");
      assertThat(call.get("metadata").toString()).isEqualTo("{\"team\":\"ops\"}");
    }
  }

  @Test
  void afterUnregisteringNothingMoreFiresAndTheJobsThreadHasEnded() throws Exception {
    peer.serve("cron::tick").bind(job, "cron::tick", EVERY_SECOND);
    await().atMost(Duration.ofSeconds(15)).until(() -> peer.calls("cron::tick").size() >= 2);
    assertThat(cron().runningJobs()).isEqualTo(1);

    peer.unbind(job);
    await().until(() -> cron().runningJobs() == 0);
    Instant stopped = Instant.now();
    // The loop has ended, so no firing after this moment can reach the handler.
    await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(5)).until(
        () -> peer.calls("cron::tick").stream().noneMatch(c -> time(c, "scheduled_time").isAfter(stopped)));
  }

  @Test
  void aConditionReturningFalseSkipsTheHandlerAnythingElseRunsIt() throws Exception {
    peer.serve("cron::never").serve("cron::no", call -> "\"result\":false");
    peer.serve("cron::always").serve("cron::yes", call -> "\"result\":\"false\"");
    peer.bind(job, "cron::never", "{\"expression\":\"* * * * * *\",\"condition_function_id\":\"cron::no\"}", "{\"m\":1}");
    peer.bind(job + "-b", "cron::always", "{\"expression\":\"* * * * * *\",\"condition_function_id\":\"cron::yes\"}");

    await().atMost(Duration.ofSeconds(15)).until(() -> peer.calls("cron::no").size() >= 3 && peer.calls("cron::always").size() >= 2);
    assertThat(peer.calls("cron::never")).as("JSON false skips the handler").isEmpty();
    JsonNode condition = peer.calls("cron::no").get(0);
    assertThat(condition.get("data").get("job_id").asText()).as("the condition gets the handler's payload").isEqualTo(job);
    assertThat(condition.get("data").get("trigger").asText()).isEqualTo("cron");
    assertThat(condition.has("metadata")).as("but not the binding's metadata").isFalse();
  }

  @Test
  void aFailingConditionSkipsTheHandlerAndAFailingHandlerDoesNotStopTheJob() throws Exception {
    peer.serve("cron::guarded").serve("cron::broken", call -> "\"error\":{\"code\":\"boom\",\"message\":\"condition\\nfailed\"}");
    peer.serve("cron::failing", call -> "\"error\":{\"code\":\"boom\",\"message\":\"handler failed\"}");
    peer.bind(job, "cron::guarded", "{\"expression\":\"* * * * * *\",\"condition_function_id\":\"cron::broken\"}");
    peer.bind(job + "-f", "cron::failing", EVERY_SECOND);

    await().atMost(Duration.ofSeconds(15)).until(() -> peer.calls("cron::broken").size() >= 2 && peer.calls("cron::failing").size() >= 3);
    assertThat(peer.calls("cron::guarded")).isEmpty();
  }

  @Test
  void registrationErrorsCarryUpstreamsMessagesAndKeepNoBinding() throws Exception {
    peer.serve("cron::tick");
    assertThat(peer.refused("no-expr", "cron::tick", "{}")).isEqualTo("Cron expression is required");
    assertThat(peer.refused("empty-expr", "cron::tick", "{\"expression\":\"\"}")).isEqualTo("Cron expression is required");
    assertThat(peer.refused("number-expr", "cron::tick", "{\"expression\":5}")).isEqualTo("Cron expression is required");
    assertThat(peer.refused("five-fields", "cron::tick", "{\"expression\":\"* * * * *\"}"))
        .startsWith("Invalid cron expression '* * * * *': ").endsWith("found 5");
    assertThat(peer.refused("sunday-zero", "cron::tick", "{\"expression\":\"0 0 0 * * 0\"}"))
        .startsWith("Invalid cron expression '0 0 0 * * 0': ")
        .endsWith("Days of Week must be greater than or equal to 1. ('0' specified.)");
    assertThat(engine.core().triggerBindings()).extracting(TriggerBinding::id)
        .doesNotContain("no-expr", "empty-expr", "number-expr", "five-fields", "sunday-zero");
    assertThat(cron().runningJobs()).isZero();
  }

  @Test
  void theSameJobIdIsRefusedWhileItsJobRuns() throws Exception {
    // The engine supersedes a binding with a re-used id before its provider sees it, so the
    // provider's own duplicate check is reached directly.
    CronTriggers triggers = new CronTriggers(engine.core(), new MemoryCronLocks(Clock.systemUTC(), 30_000), Clock.systemUTC());
    try {
      TriggerBinding binding = new TriggerBinding(job, "cron", "cron::tick", Json.mapper().readTree("{\"expression\":\"0 0 0 1 1 *\"}"), null, null);
      triggers.register(binding);
      Assertions.assertThatThrownBy(() -> triggers.register(binding))
          .isInstanceOf(TriggerRejectedException.class).hasMessage("Cron job '" + job + "' is already registered");
      triggers.unregister(binding);
      triggers.register(binding);
    } finally {
      triggers.close();
    }
    assertThat(triggers.runningJobs()).isZero();
  }

  @Test
  void reRegisteringABindingIdReplacesItsJob() throws Exception {
    peer.serve("cron::first").serve("cron::second");
    peer.bind(job, "cron::first", "{\"expression\":\"0 0 0 1 1 * 2099\"}");
    peer.bind(job, "cron::second", EVERY_SECOND);
    await().atMost(Duration.ofSeconds(15)).until(() -> !peer.calls("cron::second").isEmpty());
    await().until(() -> cron().runningJobs() == 1);
    assertThat(peer.calls("cron::first")).isEmpty();
  }

  @Test
  void closingTheEngineEndsEveryJob() throws Exception {
    peer.serve("cron::tick").serve("cron::slow", call -> null); // never answered: its job waits in the call
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(job + "-" + i);
      peer.bind(job + "-" + i, i == 0 ? "cron::slow" : "cron::tick", EVERY_SECOND);
    }
    await().atMost(Duration.ofSeconds(15)).until(() -> !peer.calls("cron::slow").isEmpty());
    CronWorker cron = cron();
    assertThat(cron.runningJobs()).isEqualTo(5);
    engine.close();
    assertThat(cron.runningJobs()).as("close waits for the loops to end").isZero();
  }
}
