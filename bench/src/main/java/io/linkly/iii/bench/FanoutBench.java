package io.linkly.iii.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.workers.stream.StreamWorker;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.iii.sdk.WorkerOptions;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Stream fan-out (DESIGN.md §5): N WebSocket subscribers on one group, one SDK writer calling
 * {@code stream::set} at increasing rates; the highest rate that keeps up, and set→receive latency
 * at half of it. Beside it, in the same run, Redis pub/sub fan-out from one publisher to N Lettuce
 * connections, stepped and measured the same way.
 *
 * <p>Engine, writer and subscribers share this JVM (and the machine's cores), so the latency is
 * one {@code System.nanoTime()} minus another. Arguments:
 * {@code [subscribers] [seconds-per-step] [redis-url|none] [cluster]}. With {@code cluster}, two
 * more runs of the engine (issue 14): one engine whose streams live on Redis, and two such engines
 * sharing it, the subscribers split between them and the writer on the first.
 */
public final class FanoutBench {

  private static final String STREAM = "bench";
  private static final String GROUP = "fanout";
  private static final double START_RATE = 100;
  private static final double FACTOR = 1.4;
  private static final double MAX_RATE = 50_000;
  private static final double SEARCH_BUDGET_SECONDS = 50;
  private static final double HALF_SECONDS = 5;
  private static final int MAX_IN_FLIGHT = 1_024;
  private static final int CLIENT_THREADS = Integer.getInteger("bench.client.threads", 2);

  public static void main(String[] args) throws Exception {
    int subscribers = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
    double stepSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
    String redisUrl = args.length > 2 ? args[2] : "redis://127.0.0.1:6379";
    boolean cluster = args.length > 3 && args[3].equals("cluster");

    System.out.printf("stream fan-out, %s, %d cores, JDK %s, %d subscribers on one group, %.0f s per step%n",
        LocalDate.now(), Runtime.getRuntime().availableProcessors(), Runtime.version(), subscribers, stepSeconds);
    long began = System.nanoTime();

    FanoutSteps.header();
    FanoutSteps.Result iii = runIii("iii", List.of(engineConfig(null, null)), subscribers, stepSeconds);
    FanoutSteps.Result oneOnRedis = null;
    FanoutSteps.Result twoOnRedis = null;
    if (cluster && !redisUrl.equals("none")) {
      String prefix = "iii-bench-" + System.nanoTime() + ":";
      oneOnRedis = runIii("iii, 1 engine on Redis", List.of(engineConfig(redisUrl, prefix + "one:")), subscribers, stepSeconds);
      twoOnRedis = runIii("iii, 2 engines on Redis",
          List.of(engineConfig(redisUrl, prefix + "two:"), engineConfig(redisUrl, prefix + "two:")), subscribers, stepSeconds);
    }
    FanoutSteps.Result redis = null;
    if (!redisUrl.equals("none")) {
      try {
        redis = runRedis(redisUrl, subscribers, stepSeconds);
      } catch (Exception e) {
        System.out.println("  redis: anchor not measured: " + e);
      }
    }

    System.out.println();
    System.out.printf("summary (%d subscribers, %.0f s total)%n", subscribers, (System.nanoTime() - began) / 1e9);
    System.out.printf("  %-26s %18s %16s %8s %8s %9s %12s %8s%n",
        "system", "max sustained", "half rate", "p50 ms", "p99 ms", "p99.9 ms", "half dl/s", "others");
    summary("iii stream (WebSocket)", iii, subscribers);
    if (oneOnRedis != null) {
      summary("iii, 1 engine on Redis", oneOnRedis, subscribers);
      summary("iii, 2 engines on Redis", twoOnRedis, subscribers);
    }
    if (redis != null) {
      summary("Redis pub/sub (Lettuce)", redis, subscribers);
      if (iii.best() != null && redis.best() != null) {
        System.out.printf("  ratio iii/Redis: throughput %.2f (higher is better), p99 at half rate %.2f (lower is better)%n",
            iii.best().deliveriesPerSecond() / redis.best().deliveriesPerSecond(), iii.half().ms(99) / redis.half().ms(99));
      }
    }
    System.out.println("  (others: cores busy outside this JVM in the best step / the half-rate run; includes redis-server for Redis)");
    double best = iii.best() == null ? 0 : iii.best().deliveriesPerSecond();
    System.out.printf("  targets: >= 500,000 deliveries/s -> %s; p99 <= 25 ms at half rate -> %s%n",
        best >= 500_000 ? "met" : "NOT met", iii.half().ms(99) <= 25 && iii.half().keptUp() ? "met" : "NOT met");
    System.exit(0); // SDK and Lettuce threads must not keep the JVM alive
  }

  private static void summary(String name, FanoutSteps.Result r, int subscribers) {
    if (r.best() == null) {
      System.out.printf("  %-26s %16s%n", name, "none kept up");
      return;
    }
    System.out.printf("  %-26s %13.0f dl/s %9.0f sets/s %8.2f %8.2f %9.2f %12.0f %3.1f/%3.1f%s%n",
        name, r.best().deliveriesPerSecond(), r.half().setRate(), r.half().ms(50), r.half().ms(99), r.half().ms(99.9),
        r.half().deliveriesPerSecond(), r.best().otherCores(), r.half().otherCores(),
        r.half().keptUp() ? "" : "  (half-rate run did not keep up)");
  }

  /** The item every set writes: the send time first, then a little Linkly-like payload. */
  static String itemJson(long sentNanos, long seq) {
    return "{\"" + Stamp.KEY + "\":" + sentNanos
        + ",\"code\":\"abc123\",\"url\":\"https://iii.dev/docs/streams\",\"clicks\":" + seq + "}";
  }

  private static ObjectNode itemTree(long sentNanos, long seq) {
    ObjectNode data = Json.object();
    data.put(Stamp.KEY, sentNanos);
    data.put("code", "abc123");
    data.put("url", "https://iii.dev/docs/streams");
    data.put("clicks", seq);
    return data;
  }

  /** An engine for the fan-out: its streams in memory, or on Redis ({@code redisUrl}) under {@code prefix}. */
  private static EngineConfig engineConfig(String redisUrl, String prefix) {
    EngineConfig config =
        EngineConfig.ephemeral()
            // bursts must not cut subscribers off; a cut-off still shows as a disconnect
            .withSetting(StreamWorker.NAME, "max_buffered_bytes", Json.mapper().getNodeFactory().numberNode(64L << 20))
            .withSetting(StreamWorker.NAME, "slow_subscriber_grace_ms", Json.mapper().getNodeFactory().numberNode(10_000));
    if (redisUrl != null) {
      ObjectNode adapter = Json.object().put("name", "redis");
      adapter.putObject("config").put("redis_url", redisUrl).put("key_prefix", prefix);
      config = config.withSetting(StreamWorker.NAME, "adapter", adapter);
    }
    return config;
  }

  /** Subscribers split evenly over the engines of {@code configs}, the writer on the first. */
  private static FanoutSteps.Result runIii(String name, List<EngineConfig> configs, int subscribers, double stepSeconds) throws Exception {
    LatencySink sink = new LatencySink();
    List<IiiEngine> engines = new ArrayList<>();
    try {
      for (EngineConfig config : configs) {
        engines.add(IiiEngine.start(config));
      }
      return runIii(name, engines, sink, subscribers, stepSeconds);
    } finally {
      engines.forEach(IiiEngine::close);
    }
  }

  private static FanoutSteps.Result runIii(String name, List<IiiEngine> engines, LatencySink sink, int subscribers, double stepSeconds)
      throws Exception {
    IiiEngine engine = engines.get(0);
    try (WsSubscribers clients = new WsSubscribers(CLIENT_THREADS, sink);
        Iii writer = Iii.registerWorker(engine.workerUrl(), WorkerOptions.builder().workerName("fanout-writer").build())) {
      List<StreamWorker> streams = engines.stream().map(e -> e.worker(StreamWorker.class).orElseThrow()).toList();
      long t = System.nanoTime();
      int joined = 0;
      for (int i = 0; i < engines.size(); i++) {
        int share = subscribers / engines.size() + (i < subscribers % engines.size() ? 1 : 0);
        joined += clients.connect("127.0.0.1", engines.get(i).port(StreamWorker.NAME).orElseThrow(), share, STREAM, GROUP, Duration.ofSeconds(60));
      }
      System.out.printf("  %s: %d/%d subscribers joined in %d ms%n", name, joined, subscribers, (System.nanoTime() - t) / 1_000_000);
      if (joined != subscribers) {
        throw new IllegalStateException("only " + joined + " of " + subscribers + " subscribers joined");
      }
      writer.ready().get(10, TimeUnit.SECONDS);
      FanoutSteps.Publisher publish =
          (seq, sent) -> {
            ObjectNode payload = Json.object();
            payload.put("stream_name", STREAM);
            payload.put("group_id", GROUP);
            payload.put("item_id", "item-" + (seq & 63));
            payload.set("data", itemTree(sent, seq));
            return writer.triggerAsync(TriggerRequest.of("stream::set", payload).withTimeout(Duration.ofSeconds(30)));
          };
      publish.publish(-1, System.nanoTime()).toCompletableFuture().get(10, TimeUnit.SECONDS);
      FanoutSteps steps =
          new FanoutSteps(name, publish, sink, joined, MAX_IN_FLIGHT,
              () -> streams.stream().mapToLong(StreamWorker::subscribersCutOff).sum() + clients.unexpectedCloses());
      FanoutSteps.Result result = steps.search(START_RATE, FACTOR, MAX_RATE, stepSeconds, SEARCH_BUDGET_SECONDS, HALF_SECONDS);
      System.out.printf("  %s: engines counted %d frames delivered, %d subscribers cut off, %d sockets still open%n", name,
          streams.stream().mapToLong(StreamWorker::framesDelivered).sum(), streams.stream().mapToLong(StreamWorker::subscribersCutOff).sum(),
          clients.open());
      clients.disconnectAll(Duration.ofSeconds(5));
      return result;
    }
  }

  private static FanoutSteps.Result runRedis(String url, int subscribers, double stepSeconds) throws Exception {
    LatencySink sink = new LatencySink();
    try (RedisFanout redis = new RedisFanout(url, CLIENT_THREADS)) {
      long t = System.nanoTime();
      int subscribed = redis.subscribe(subscribers, sink);
      long receivers = redis.receivers();
      System.out.printf("  redis: %d/%d connections subscribed in %d ms; Redis counts %d receivers%n",
          subscribed, subscribers, (System.nanoTime() - t) / 1_000_000, receivers);
      if (receivers != subscribers) {
        throw new IllegalStateException("Redis has " + receivers + " receivers, not " + subscribers);
      }
      Thread.sleep(200); // let the test message arrive before counting starts
      FanoutSteps steps = new FanoutSteps("redis", redis::publish, sink, subscribers, MAX_IN_FLIGHT, redis::closed);
      return steps.search(START_RATE, FACTOR, MAX_RATE, stepSeconds, SEARCH_BUDGET_SECONDS, HALF_SECONDS);
    }
  }
}
