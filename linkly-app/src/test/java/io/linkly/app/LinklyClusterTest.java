package io.linkly.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.linkly.iii.engine.testing.LocalRedis;
import io.linkly.iii.engine.testing.StreamClient;
import io.linkly.iii.engine.workers.queue.Retry;
import io.linkly.iii.engine.workers.queue.adapter.QueueSpec;
import io.linkly.iii.engine.workers.queue.adapter.RabbitTopology;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.testing.LocalService;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Linkly engines in the cluster profile on this machine, sharing the local Redis (state,
 * streams, pub/sub), RabbitMQ (the click queue) and PostgreSQL (links, clicks): engine A a child
 * process that can be killed with kill -9, engine B in this JVM. Every store is this test's own (a
 * schema, a queue namespace, a key prefix), removed afterwards. Required when CI=true.
 */
class LinklyClusterTest {

  private static final String RUN = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private static final String NAMESPACE = "linkly-test-" + RUN;
  private static final String PREFIX = "linkly-test-" + RUN + ":";
  private static final Pattern UP = Pattern.compile("Linkly is up: POST (http://\\S+)/links");

  private static LocalRedis redis;
  private static PostgresSchema schema;

  @TempDir Path dataA;
  @TempDir Path dataB;
  private ChildProcess a;
  private String aHttp;
  private String aStream;
  private Map<String, String> aEnv;
  private Linkly b;
  private Iii client;
  private final List<StreamClient> subscribers = new ArrayList<>();
  private final List<String> codes = new ArrayList<>();

  @BeforeAll
  static void stores() throws Exception {
    redis = LocalRedis.require("LinklyClusterTest");
    schema = PostgresSchema.create("linkly_cluster_", "LinklyClusterTest");
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri("amqp://guest:guest@127.0.0.1:5672/%2f");
    try (Connection c = factory.newConnection("linkly-cluster-test-probe")) {
      // reachable
    } catch (Exception e) {
      LocalService.unavailable("LinklyClusterTest", "RabbitMQ at 127.0.0.1:5672 is not reachable: " + e);
    }
  }

  @AfterAll
  static void removeStores() throws Exception {
    schema.close();
    redis.deleteKeysStartingWith(PREFIX);
    RabbitTopology topology = new RabbitTopology(NAMESPACE);
    List<String> queues = new ArrayList<>(topology.queueNames(QueueSpec.namedKey("clicks"), new Retry(5, Retry.DEFAULTS.backoffMs())));
    queues.addAll(topology.queueNames(QueueSpec.namedKey("default"), Retry.DEFAULTS));
    queues.addAll(topology.queueNames(QueueSpec.topicKey("link.updated", "link::on_link_updated"), Retry.DEFAULTS));
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri("amqp://guest:guest@127.0.0.1:5672/%2f");
    try (Connection c = factory.newConnection("linkly-cluster-test-cleanup")) {
      for (String q : queues) {
        try (Channel ch = c.createChannel()) {
          ch.queueDelete(q);
        }
      }
      try (Channel ch = c.createChannel()) {
        ch.exchangeDelete(topology.topicExchange("link.updated"));
      }
    }
    redis.close();
  }

  @AfterEach
  void stop() throws InterruptedException {
    subscribers.forEach(StreamClient::close);
    if (client != null) {
      client.shutdown();
    }
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.kill();
    }
    for (String code : codes) {
      redis.commands().hdel("state:links", code);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static Map<String, String> env(Path data) {
    Map<String, String> env = new HashMap<>(schema.env(data));
    env.put("LINKLY_AMQP_NAMESPACE", NAMESPACE);
    env.put("LINKLY_REDIS_PREFIX", PREFIX);
    return env;
  }

  /** Starts engine A as its own process on fixed free ports (its stream port must be known to subscribe to it). */
  private void startA() throws Exception {
    if (aEnv == null) {
      aEnv = env(dataA);
      aEnv.put("III_PORT", Integer.toString(freePort()));
      aEnv.put("LINKLY_HTTP_PORT", Integer.toString(freePort()));
      aEnv.put("LINKLY_STREAM_PORT", Integer.toString(freePort()));
      aEnv.put("LINKLY_BROWSER_PORT", Integer.toString(freePort()));
    }
    a = ChildProcess.java(Linkly.class, List.of("--profile", "cluster"), aEnv, dataA);
    aHttp = a.await(UP, Duration.ofSeconds(60));
    aStream = "ws://127.0.0.1:" + aEnv.get("LINKLY_STREAM_PORT") + "/";
  }

  private void startB() throws Exception {
    b = Linkly.start(Linkly.config(Linkly.Profile.CLUSTER, env(dataB)::get), Clock.systemUTC());
    client = Iii.registerWorker(b.engine().workerUrl());
  }

  private String create(String http, String url) throws Exception {
    HttpResponse<String> created = LinklyFixture.post(http + "/links", "{\"url\":\"" + url + "\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String code = LinklyFixture.json(created.body()).get("code").asText();
    codes.add(code);
    return code;
  }

  private StreamClient subscribe(String streamUrl) throws Exception {
    StreamClient subscriber = StreamClient.connect(streamUrl).join("s", "clicks", "all");
    subscribers.add(subscriber);
    await().until(() -> !subscriber.events("sync").isEmpty());
    return subscriber;
  }

  /** The item ids of {@code code}'s clicks in the order their create events came. */
  private static List<String> created(StreamClient subscriber, String code) {
    List<String> ids = new ArrayList<>();
    for (JsonNode event : subscriber.events("create")) {
      String id = event.path("id").asText();
      if (id.startsWith(code + "-")) {
        ids.add(id);
      }
    }
    return ids;
  }

  private long clickRows(String code) {
    return client.trigger(TriggerRequest.of("database::query",
            Map.of("db", "primary", "sql", "SELECT COUNT(*) AS n FROM clicks WHERE code = $1", "params", List.of(code))))
        .get("rows").get(0).get("n").asLong();
  }

  @Test
  void aLinkMadeOnAIsFollowedOnB_andEveryClickReachesTheSubscribersOfBothOnceInOneOrder() throws Exception {
    startA();
    startB();
    StreamClient onStreamA = subscribe(aStream);
    StreamClient onStreamB = subscribe(b.streamUrl());
    String code = create(aHttp, "https://iii.dev/cluster");
    HttpResponse<String> onB = LinklyFixture.get(b.httpUrl() + "/s/" + code);
    assertThat(onB.statusCode()).isEqualTo(302);
    assertThat(onB.headers().firstValue("location")).hasValue("https://iii.dev/cluster");
    for (int i = 0; i < 10; i++) {
      assertThat(LinklyFixture.get((i % 2 == 0 ? aHttp : b.httpUrl()) + "/s/" + code).statusCode()).isEqualTo(302);
    }
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(created(onStreamA, code)).hasSize(11);
      assertThat(created(onStreamB, code)).hasSize(11);
    });
    assertThat(created(onStreamA, code)).as("one create per click, in the same order on both engines")
        .doesNotHaveDuplicates().isEqualTo(created(onStreamB, code));
    assertThat(clickRows(code)).isEqualTo(11);

    // link.updated: the change made on A is what B redirects to
    HttpResponse<String> updated = LinklyFixture.HTTP.send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(aHttp + "/links/" + code)).header("Content-Type", "application/json")
            .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"url\":\"https://iii.dev/moved\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
    await().untilAsserted(() ->
        assertThat(LinklyFixture.get(b.httpUrl() + "/s/" + code).headers().firstValue("location")).hasValue("https://iii.dev/moved"));
  }

  @Test
  void engineAKilledDuringABurst_BKeepsAnswering_andEveryAcknowledgedClickIsRecordedOnceAndStreamed() throws Exception {
    startA();
    startB();
    String code = create(b.httpUrl(), "https://iii.dev/burst");
    StreamClient onStreamB = subscribe(b.streamUrl());
    AtomicInteger acknowledged = new AtomicInteger();
    AtomicInteger bFailed = new AtomicInteger();
    try (ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> sent = new ArrayList<>();
      for (String http : List.of(aHttp, b.httpUrl())) {
        boolean isB = !http.equals(aHttp);
        sent.add(senders.submit(() -> {
          for (int i = 0; i < 150; i++) {
            try {
              if (LinklyFixture.get(http + "/s/" + code).statusCode() == 302) {
                acknowledged.incrementAndGet();
              } else if (isB) {
                bFailed.incrementAndGet();
              }
            } catch (Exception e) {
              if (isB) {
                bFailed.incrementAndGet();
              }
            }
          }
          return null;
        }));
      }
      await().until(() -> acknowledged.get() >= 60);
      a.kill(); // kill -9 in the middle of the burst
      for (Future<?> f : sent) {
        f.get();
      }
    }
    assertThat(bFailed.get()).as("B answered every redirect while A died").isZero();
    assertThat(b.droppedClicks()).isZero();

    startA(); // A back, on the same ports: what it held in flight is redelivered by RabbitMQ
    int acked = acknowledged.get();
    // at least every acknowledged click; one more at most, for A's sender (sequential) whose request
    // was enqueued but whose 302 died with A
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(clickRows(code)).isBetween((long) acked, acked + 1L));
    long rows = clickRows(code);
    assertThat(distinctKeys(code)).as("no click recorded twice").isEqualTo(rows);
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(created(onStreamB, code)).hasSize((int) rows));
    assertThat(created(onStreamB, code)).doesNotHaveDuplicates();
  }

  private long distinctKeys(String code) {
    return client.trigger(TriggerRequest.of("database::query",
            Map.of("db", "primary", "sql", "SELECT COUNT(DISTINCT click_key) AS k FROM clicks WHERE code = $1", "params", List.of(code))))
        .get("rows").get(0).get("k").asLong();
  }
}
