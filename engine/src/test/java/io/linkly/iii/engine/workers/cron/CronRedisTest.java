package io.linkly.iii.engine.workers.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.sync.RedisCommands;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.LocalRedis;
import io.linkly.iii.engine.testing.LogCapture;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.engine.workers.cron.adapter.RedisCronLocks;
import io.linkly.iii.protocol.Json;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * iii-cron's redis adapter against the local Redis (127.0.0.1:6379): engines sharing it run each
 * firing of a job once between them, and respect upstream's {@code cron_lock:<job id>}. Each test
 * uses a job id of its own, so parallel runs do not meet. Required when CI=true; elsewhere
 * skipped, with the reason printed, if Redis is not there.
 */
class CronRedisTest {

  private static final String EVERY_SECOND = "{\"expression\":\"* * * * * *\"}";

  private static LocalRedis local;
  private static RedisCommands<String, String> redis;

  private final List<IiiEngine> engines = new ArrayList<>();
  private final List<CronPeer> peers = new ArrayList<>();
  private String job;

  @BeforeAll
  static void connectToRedis() {
    local = LocalRedis.require("CronRedisTest");
    redis = local.commands();
  }

  @AfterAll
  static void disconnect() {
    if (local != null) {
      local.close();
    }
  }

  @BeforeEach
  void jobId() {
    job = "iii-test:" + UUID.randomUUID() + ":tick";
  }

  @AfterEach
  void stop() {
    peers.forEach(CronPeer::close);
    engines.forEach(IiiEngine::close);
    redis.del(RedisCronLocks.LOCK_PREFIX + job, RedisCronLocks.FIRED_PREFIX + job);
  }

  private IiiEngine engine(String redisUrl) throws Exception {
    ObjectNode adapter = Json.object().put("name", "redis");
    adapter.putObject("config").put("redis_url", redisUrl);
    IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-cron", "adapter", adapter));
    engines.add(engine);
    return engine;
  }

  private CronPeer peer(IiiEngine engine) throws Exception {
    CronPeer peer = CronPeer.connect(engine);
    peers.add(peer);
    return peer;
  }

  private static List<String> scheduled(CronPeer peer) {
    return peer.calls("cron::tick").stream().map(c -> c.get("data").get("scheduled_time").asText()).toList();
  }

  @Test
  void twoEnginesWithTheSameTriggerIdRunEachFiringOnce() throws Exception {
    IiiEngine a = engine(LocalRedis.URL);
    IiiEngine b = engine(LocalRedis.URL);
    CronPeer onA = peer(a).serve("cron::tick").bind(job, "cron::tick", EVERY_SECOND);
    CronPeer onB = peer(b).serve("cron::tick").bind(job, "cron::tick", EVERY_SECOND);
    int firstTick = scheduled(onA).size() + scheduled(onB).size(); // A may have fired alone before B bound

    await().atMost(Duration.ofSeconds(30)).until(() -> scheduled(onA).size() + scheduled(onB).size() >= firstTick + 6);
    onA.unbind(job);
    onB.unbind(job);
    await().until(() -> a.worker(CronWorker.class).orElseThrow().runningJobs() == 0
        && b.worker(CronWorker.class).orElseThrow().runningJobs() == 0);

    List<String> all = new ArrayList<>(scheduled(onA));
    all.addAll(scheduled(onB));
    Map<String, Long> perFiring = all.stream().collect(Collectors.groupingBy(s -> s, Collectors.counting()));
    assertThat(perFiring).as("firings per scheduled_time across both engines").hasSizeGreaterThanOrEqualTo(6);
    assertThat(perFiring.values()).as("each firing ran on exactly one engine: %s", perFiring).containsOnly(1L);

    assertThat(redis.exists(RedisCronLocks.LOCK_PREFIX + job)).as("the lock was given back").isZero();
    String latest = all.stream().max(String::compareTo).orElseThrow();
    assertThat(redis.get(RedisCronLocks.FIRED_PREFIX + job))
        .as("the latest firing is recorded in epoch ms").isEqualTo(Long.toString(Instant.parse(latest).toEpochMilli()));
  }

  @Test
  void theLockStoreChangesToRedisWhileJobsRun_theJobsKeepTheirScheduleAndFromThenOnEachFiringRunsOnce() throws Exception {
    IiiEngine a = IiiEngine.start(EngineConfig.ephemeral());
    engines.add(a);
    IiiEngine b = IiiEngine.start(EngineConfig.ephemeral());
    engines.add(b);
    CronPeer onA = peer(a).serve("cron::tick").bind(job, "cron::tick", EVERY_SECOND);
    CronPeer onB = peer(b).serve("cron::tick").bind(job, "cron::tick", EVERY_SECOND);
    // locks in each engine's memory: some firing runs on both
    await().atMost(Duration.ofSeconds(30)).until(() -> scheduled(onA).stream().anyMatch(scheduled(onB)::contains));

    try (LogCapture logs = new LogCapture();
        RawWorker toA = RawWorker.connect(a.workerUrl());
        RawWorker toB = RawWorker.connect(b.workerUrl())) {
      String redisLocks = "{\"id\":\"iii-cron\",\"value\":{\"adapter\":{\"name\":\"redis\",\"config\":{\"redis_url\":\""
          + LocalRedis.URL + "\"}}}}";
      assertThat(toA.call("configuration::set", redisLocks).has("error")).isFalse();
      assertThat(toB.call("configuration::set", redisLocks).has("error")).isFalse();
      await().until(() -> logs.containing("iii-cron: job locks now in Redis; 1 job(s) keep their schedule").size() == 2);
    }
    String switched = Instant.now().plusSeconds(1).toString();
    int before = scheduled(onA).size() + scheduled(onB).size();
    await().atMost(Duration.ofSeconds(30)).until(() -> scheduled(onA).size() + scheduled(onB).size() >= before + 6);
    onA.unbind(job);
    onB.unbind(job);
    await().until(() -> a.worker(CronWorker.class).orElseThrow().runningJobs() == 0
        && b.worker(CronWorker.class).orElseThrow().runningJobs() == 0);

    List<String> after = new ArrayList<>(scheduled(onA));
    after.addAll(scheduled(onB));
    after.removeIf(time -> Instant.parse(time).isBefore(Instant.parse(switched)));
    Map<String, Long> perFiring = after.stream().collect(Collectors.groupingBy(s -> s, Collectors.counting()));
    assertThat(perFiring).as("firings after the change").hasSizeGreaterThanOrEqualTo(4);
    assertThat(perFiring.values()).as("each firing after the change ran on one engine: %s", perFiring).containsOnly(1L);
    assertThat(redis.exists(RedisCronLocks.LOCK_PREFIX + job)).as("the lock was given back").isZero();
  }

  @Test
  void aLockHeldElsewhereAsUpstreamTakesItKeepsTheJobFromRunning() throws Exception {
    // What an upstream engine running this job would hold: SET cron_lock:<job id> <its uuid> NX PX 30000.
    assertThat(redis.set(RedisCronLocks.LOCK_PREFIX + job, UUID.randomUUID().toString(), SetArgs.Builder.nx().px(30_000)))
        .isEqualTo("OK");
    CronPeer peer = peer(engine(LocalRedis.URL)).serve("cron::tick").bind(job, "cron::tick", EVERY_SECOND);
    await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(5)).until(() -> peer.calls("cron::tick").isEmpty());
    assertThat(redis.exists(RedisCronLocks.LOCK_PREFIX + job)).as("another instance's lock is never deleted").isEqualTo(1);

    redis.del(RedisCronLocks.LOCK_PREFIX + job); // that run ended
    await().atMost(Duration.ofSeconds(15)).until(() -> !peer.calls("cron::tick").isEmpty());
    JsonNode data = peer.calls("cron::tick").get(0).get("data");
    assertThat(data.get("job_id").asText()).isEqualTo(job);
  }

  @Test
  void anUnreachableRedisStopsTheStartWithUpstreamsMessage() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    assertThatThrownBy(() -> engine("redis://127.0.0.1:" + closedPort))
        .hasMessageContaining("iii-cron")
        .hasMessageContaining("Redis at redis://127.0.0.1:" + closedPort);
  }
}
