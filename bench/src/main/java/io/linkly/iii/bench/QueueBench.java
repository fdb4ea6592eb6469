package io.linkly.iii.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.MessageProperties;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.workers.queue.Retry;
import io.linkly.iii.engine.workers.queue.adapter.QueueSpec;
import io.linkly.iii.engine.workers.queue.adapter.RabbitTopology;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.TriggerAction;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.iii.sdk.WorkerOptions;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SynchronizedHistogram;

/**
 * iii-queue enqueue benchmark (TriggerAction.Enqueue), engine in process, against the builtin
 * adapter (journal in a temp directory) and the RabbitMQ adapter, beside plain RabbitMQ with the
 * Java client (publisher confirms, persistent messages) in the same run. For each system:
 *
 * <ul>
 *   <li>throughput: acknowledged enqueues per second with {@value #WINDOW} blocking callers (virtual
 *       threads), and what the consumer side handled meanwhile;
 *   <li>latency: one caller at a fixed rate; enqueue acknowledgement time and enqueue → handler
 *       time, from the {@code System.nanoTime()} the payload carries (one JVM, one clock).
 * </ul>
 *
 * The plain RabbitMQ anchor uses one publisher keeping {@value #WINDOW} confirms outstanding, a
 * consumer with prefetch {@value #WINDOW} acking each message, and for the latency run one
 * publisher waiting for each confirm; it is also run once with no consumer at all.
 *
 * <p>Arguments: {@code [seconds-per-throughput-run] [latency-rate-per-s] [latency-seconds] [amqp-url]}.
 * Loopback only. Every RabbitMQ object it declares is in a namespace of its own and deleted after.
 */
public final class QueueBench {

  private static final int WINDOW = 64;
  private static final String FUNCTION = "bench::sink";
  private static final String QUEUE = "bench";
  private static final Retry BENCH_RETRY = new Retry(3, 1000);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
  private static final long DRAIN_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(40);

  /** What a message is for: the readiness probe (not counted), warm-up, the throughput window, the latency run. */
  private static final int PROBE = -1;
  private static final int WARMUP = 0;
  private static final int THROUGHPUT = 1;
  private static final int LATENCY = 2;

  private final double seconds;
  private final int rate;
  private final double latencySeconds;

  private QueueBench(double seconds, int rate, double latencySeconds) {
    this.seconds = seconds;
    this.rate = rate;
    this.latencySeconds = latencySeconds;
  }

  /** One row of the table. */
  private record Result(
      String system,
      double enqueuesPerSecond,
      double handledPerSecond,
      double drainSeconds,
      double achievedRate,
      Histogram ack,
      Histogram endToEnd,
      String note) {}

  /** The consumer side of one system: counts every message, records latency-run ones. */
  private static final class Sink {
    final AtomicLong handled = new AtomicLong();
    final AtomicLong handledLatency = new AtomicLong();
    final Histogram endToEnd = new SynchronizedHistogram(TimeUnit.SECONDS.toNanos(60), 3);

    void received(long sentNanos, int phase) {
      long now = System.nanoTime();
      if (phase == PROBE) {
        return;
      }
      if (phase == LATENCY) {
        endToEnd.recordValue(Math.min(Math.max(0, now - sentNanos), endToEnd.getHighestTrackableValue()));
        handledLatency.incrementAndGet();
      }
      handled.incrementAndGet();
    }
  }

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    double latencySeconds = args.length > 2 ? Double.parseDouble(args[2]) : 5;
    String amqpUrl = Loopback.require(args.length > 3 ? args[3] : "amqp://guest:guest@127.0.0.1:5672/%2f");
    if (seconds <= 0 || seconds > 30 || rate < 1 || rate > 100_000 || latencySeconds <= 0 || latencySeconds > 30) {
      throw new IllegalArgumentException("seconds in (0, 30], rate in [1, 100000], latency seconds in (0, 30]");
    }
    String startLoad = loadAverage();
    System.out.printf(
        "iii-queue enqueue benchmark, %s, %d cores, JDK %s (%s), load average %s%n",
        LocalDate.now(), Runtime.getRuntime().availableProcessors(), Runtime.version(),
        System.getProperty("java.vm.name"), startLoad);
    System.out.printf(
        "throughput: %d blocking callers, 2 s warm-up + %.0f s; latency: 1 caller at %d/s, 1 s warm-up + %.0f s;"
            + " payload {\"t\":<nanoTime>,\"p\":<phase>}%n",
        WINDOW, seconds, rate, latencySeconds);
    QueueBench bench = new QueueBench(seconds, rate, latencySeconds);
    List<Result> results = new ArrayList<>();

    Path dir = Files.createTempDirectory("qbench-");
    try {
      ObjectNode builtin = Json.object().put("name", "builtin");
      builtin.putObject("config")
          .put("file_path", dir.toString())
          .put("max_messages", 5_000_000)
          .put("max_bytes", 2L << 30);
      results.add(bench.engine("iii-queue builtin (journal)", builtin));
    } finally {
      deleteTree(dir);
    }

    String namespace = "qbench-" + UUID.randomUUID().toString().substring(0, 8);
    String unreachable = probe(amqpUrl);
    if (unreachable != null) {
      System.out.println("RabbitMQ rows skipped: " + unreachable);
    } else {
      System.out.println("RabbitMQ namespace " + namespace + " (deleted at the end)");
      try {
        ObjectNode rabbit = Json.object().put("name", "rabbitmq");
        rabbit.putObject("config").put("amqp_url", amqpUrl).put("namespace", namespace);
        results.add(bench.engine("iii-queue rabbitmq", rabbit));
        results.addAll(bench.plainRabbit(amqpUrl, namespace));
      } finally {
        System.out.println(cleanup(amqpUrl, namespace));
      }
    }

    System.out.println();
    System.out.printf(
        "%-30s %12s %11s %8s %8s %9s %9s %9s %9s%n",
        "system", "enqueue/s@64", "handled/s", "drain s", "rate/s", "ack p50", "ack p99", "e2e p50", "e2e p99");
    for (Result r : results) {
      System.out.printf(
          "%-30s %12.0f %11s %8s %8s %9s %9s %9s %9s%s%n",
          r.system(), r.enqueuesPerSecond(), number(r.handledPerSecond(), "%.0f"), number(r.drainSeconds(), "%.1f"),
          number(r.achievedRate(), "%.0f"),
          ms(r.ack(), 50), ms(r.ack(), 99), ms(r.endToEnd(), 50), ms(r.endToEnd(), 99),
          r.note() == null ? "" : "  " + r.note());
    }
    System.out.println("latencies in ms; ack = enqueue call until acknowledged (RabbitMQ: publish until confirmed),");
    System.out.println("e2e = enqueue call started until the handler (RabbitMQ: the consumer) has the message;");
    System.out.println("handled/s = consumer side during the throughput window; drain s = time to work off the backlog left after it.");
    System.out.println("no consumer = the same confirm window with nobody consuming: the broker's publish side alone.");
    System.out.printf("load average at start %s, at end %s%n", startLoad, loadAverage());
  }

  // ------------------------------------------------------------------ iii-queue, in process

  private Result engine(String system, ObjectNode adapter) throws Exception {
    ObjectNode queues = Json.object();
    queues.putObject(QUEUE)
        .put("type", "standard")
        .put("max_retries", BENCH_RETRY.maxRetries())
        .put("concurrency", WINDOW)
        .put("backoff_ms", BENCH_RETRY.backoffMs());
    EngineConfig config =
        EngineConfig.ephemeral().withSetting("iii-queue", "adapter", adapter).withSetting("iii-queue", "queue_configs", queues);
    Sink sink = new Sink();
    try (IiiEngine engine = IiiEngine.start(config);
        Iii worker = Iii.registerWorker(engine.workerUrl(), WorkerOptions.builder().workerName("qbench-worker").build());
        Iii caller =
            Iii.registerWorker(
                engine.workerUrl(), WorkerOptions.builder().workerName("qbench-caller").invocationTimeout(CALL_TIMEOUT).build())) {
      worker.registerFunction(
          FUNCTION,
          (data, ctx) -> {
            sink.received(data.path("t").longValue(), data.path("p").intValue());
            return null;
          });
      worker.ready().get(10, TimeUnit.SECONDS);
      caller.ready().get(10, TimeUnit.SECONDS);
      awaitCallable(caller);

      Enqueuer enqueue =
          phase -> caller.trigger(
              TriggerRequest.of(FUNCTION, Json.object().put("t", System.nanoTime()).put("p", phase))
                  .withAction(TriggerAction.Enqueue(QUEUE))
                  .withTimeout(CALL_TIMEOUT));
      return measure(system, sink, enqueue);
    }
  }

  /** One blocking enqueue of a message of {@code phase}; returns once it is acknowledged. */
  @FunctionalInterface
  private interface Enqueuer {
    void enqueue(int phase) throws Exception;
  }

  private Result measure(String system, Sink sink, Enqueuer enqueue) throws Exception {
    AtomicLong acked = new AtomicLong();
    long warm = concurrent(enqueue, WARMUP, 2, acked);
    drain(sink, warm);
    long handledBefore = sink.handled.get();
    long ackedBefore = acked.get();
    long windowStart = System.nanoTime();
    long inWindow = concurrent(enqueue, THROUGHPUT, seconds, acked);
    double windowSeconds = (System.nanoTime() - windowStart) / 1e9;
    long handledInWindow = sink.handled.get() - handledBefore;
    double drainSeconds = drain(sink, ackedBefore + inWindow);
    String note = sink.handled.get() < acked.get() ? "backlog not drained within 40 s" : null;

    Histogram ack = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    paced(enqueue, WARMUP, 1, null);
    drain(sink, acked.get() + rate);
    long sent = paced(enqueue, LATENCY, latencySeconds, ack);
    double achieved = sent / latencySeconds;
    BooleanSupplier allSeen = () -> sink.handledLatency.get() >= sent;
    if (!await(allSeen, TimeUnit.SECONDS.toNanos(20))) {
      note = (note == null ? "" : note + "; ") + "latency run: " + (sent - sink.handledLatency.get()) + " not handled within 20 s";
    }
    return new Result(system, inWindow / windowSeconds, handledInWindow / windowSeconds, drainSeconds, achieved, ack, sink.endToEnd, note);
  }

  /** {@value #WINDOW} virtual threads enqueue back to back for {@code runSeconds}; returns the acknowledged count. */
  private static long concurrent(Enqueuer enqueue, int phase, double runSeconds, AtomicLong total) throws Exception {
    AtomicLong done = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    List<Exception> firstFailure = new ArrayList<>(1);
    long end = System.nanoTime() + (long) (runSeconds * 1e9);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < WINDOW; i++) {
      threads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    while (System.nanoTime() < end) {
                      try {
                        enqueue.enqueue(phase);
                        done.incrementAndGet();
                      } catch (Exception e) {
                        if (failed.incrementAndGet() == 1) {
                          synchronized (firstFailure) {
                            firstFailure.add(e);
                          }
                        }
                      }
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    total.addAndGet(done.get());
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " enqueues failed; first: " + firstFailure.get(0), firstFailure.get(0));
    }
    return done.get();
  }

  /** One caller, one message every 1/rate s (sent late rather than skipped when behind); returns the count. */
  private long paced(Enqueuer enqueue, int phase, double runSeconds, Histogram ack) throws Exception {
    long count = (long) (runSeconds * rate);
    long interval = 1_000_000_000L / rate;
    long start = System.nanoTime();
    for (long i = 0; i < count; i++) {
      long due = start + i * interval;
      for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
        LockSupport.parkNanos(wait);
      }
      long t0 = System.nanoTime();
      enqueue.enqueue(phase);
      if (ack != null) {
        ack.recordValue(Math.min(System.nanoTime() - t0, ack.getHighestTrackableValue()));
      }
    }
    return count;
  }

  /** Waits until the consumer has seen {@code target} messages; returns how long that took, in seconds. */
  private static double drain(Sink sink, long target) throws InterruptedException {
    long start = System.nanoTime();
    await(() -> sink.handled.get() >= target, DRAIN_LIMIT_NANOS);
    return (System.nanoTime() - start) / 1e9;
  }

  private static boolean await(BooleanSupplier condition, long limitNanos) throws InterruptedException {
    long end = System.nanoTime() + limitNanos;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  /** Registration frames and the first call race; wait until the function answers a plain call. */
  private static void awaitCallable(Iii caller) throws InterruptedException {
    TriggerRequest probe = TriggerRequest.of(FUNCTION, Json.object().put("t", 0).put("p", PROBE)).withTimeout(Duration.ofSeconds(5));
    for (int i = 0; i < 100; i++) {
      try {
        caller.trigger(probe);
        return;
      } catch (RuntimeException e) {
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException(FUNCTION + " never became callable");
  }

  // ------------------------------------------------------------------ the anchor: plain RabbitMQ

  private List<Result> plainRabbit(String amqpUrl, String namespace) throws Exception {
    String queue = anchorQueue(namespace);
    ConnectionFactory factory = factory(amqpUrl);
    Sink sink = new Sink();
    try (Connection publishing = factory.newConnection("qbench-publisher");
        Connection consuming = factory.newConnection("qbench-consumer")) {
      ConfirmWindow window = new ConfirmWindow(publishing.createChannel(), queue);
      AtomicLong acked = new AtomicLong();
      // First with nobody consuming: the broker's publish side alone.
      double publishOnly;
      try (Channel setup = publishing.createChannel()) {
        setup.queueDeclare(queue, true, false, false, null);
        window.run(WARMUP, 1, acked);
        long start = System.nanoTime();
        long confirmed = window.run(THROUGHPUT, seconds, acked);
        publishOnly = confirmed / ((System.nanoTime() - start) / 1e9);
        setup.queuePurge(queue);
      }
      acked.set(0);
      Channel consumer = consuming.createChannel();
      consumer.basicQos(WINDOW);
      consumer.basicConsume(
          queue,
          false,
          new DefaultConsumer(consumer) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) throws IOException {
              String text = new String(body, StandardCharsets.US_ASCII);
              int comma = text.indexOf(",\"p\":");
              sink.received(Long.parseLong(text.substring(5, comma)), text.charAt(comma + 5) - '0');
              getChannel().basicAck(envelope.getDeliveryTag(), false);
            }
          });
      Channel single = publishing.createChannel();
      single.confirmSelect();
      Enqueuer confirmedOne =
          phase -> {
            single.basicPublish("", queue, MessageProperties.PERSISTENT_BASIC, body(phase));
            single.waitForConfirmsOrDie(CALL_TIMEOUT.toMillis());
          };

      // Throughput: one publisher keeping 64 confirms outstanding (the client's channel is not
      // shared by 64 threads; the confirm window is the same 64 in flight).
      long warm = window.run(WARMUP, 2, acked);
      drain(sink, warm);
      long handledBefore = sink.handled.get();
      long ackedBefore = acked.get();
      long windowStart = System.nanoTime();
      long inWindow = window.run(THROUGHPUT, seconds, acked);
      double windowSeconds = (System.nanoTime() - windowStart) / 1e9;
      long handledInWindow = sink.handled.get() - handledBefore;
      double drainSeconds = drain(sink, ackedBefore + inWindow);
      String note = sink.handled.get() < acked.get() ? "backlog not drained within 40 s" : null;

      Histogram ack = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
      paced(confirmedOne, WARMUP, 1, null);
      drain(sink, acked.get() + rate);
      long sent = paced(confirmedOne, LATENCY, latencySeconds, ack);
      if (!await(() -> sink.handledLatency.get() >= sent, TimeUnit.SECONDS.toNanos(20))) {
        note = (note == null ? "" : note + "; ") + "latency run: " + (sent - sink.handledLatency.get()) + " not delivered within 20 s";
      }
      consumer.close();
      Histogram none = new Histogram(1_000, 2);
      return List.of(
          new Result(
              "RabbitMQ plain (confirms)", inWindow / windowSeconds, handledInWindow / windowSeconds, drainSeconds,
              sent / latencySeconds, ack, sink.endToEnd, note),
          new Result("RabbitMQ plain, no consumer", publishOnly, Double.NaN, Double.NaN, Double.NaN, none, none, "publish only"));
    }
  }

  private static byte[] body(int phase) {
    return ("{\"t\":" + System.nanoTime() + ",\"p\":" + phase + "}").getBytes(StandardCharsets.US_ASCII);
  }

  /** Publishes persistent messages with at most {@value #WINDOW} unconfirmed at any time. */
  private static final class ConfirmWindow {
    private final Channel channel;
    private final String queue;
    private final Semaphore permits = new Semaphore(WINDOW);
    private final ConcurrentSkipListMap<Long, Boolean> outstanding = new ConcurrentSkipListMap<>();
    private final AtomicLong confirmed = new AtomicLong();
    private final AtomicLong nacked = new AtomicLong();

    ConfirmWindow(Channel channel, String queue) throws IOException {
      this.channel = channel;
      this.queue = queue;
      channel.confirmSelect();
      channel.addConfirmListener((tag, multiple) -> settle(tag, multiple, true), (tag, multiple) -> settle(tag, multiple, false));
    }

    private void settle(long tag, boolean multiple, boolean ack) {
      int n;
      if (multiple) {
        ConcurrentNavigableMap<Long, Boolean> head = outstanding.headMap(tag, true);
        n = head.size();
        head.clear();
      } else {
        n = outstanding.remove(tag) != null ? 1 : 0;
      }
      (ack ? confirmed : nacked).addAndGet(n);
      permits.release(n);
    }

    /** Publishes for {@code runSeconds}, then waits for the last confirms; returns how many were confirmed. */
    long run(int phase, double runSeconds, AtomicLong total) throws Exception {
      long before = confirmed.get();
      long end = System.nanoTime() + (long) (runSeconds * 1e9);
      while (System.nanoTime() < end) {
        if (!permits.tryAcquire(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new IllegalStateException("no confirm from RabbitMQ within " + CALL_TIMEOUT);
        }
        outstanding.put(channel.getNextPublishSeqNo(), Boolean.TRUE);
        channel.basicPublish("", queue, MessageProperties.PERSISTENT_BASIC, body(phase));
      }
      if (!permits.tryAcquire(WINDOW, CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("the last confirms did not arrive within " + CALL_TIMEOUT);
      }
      permits.release(WINDOW);
      if (nacked.get() > 0) {
        throw new IllegalStateException(nacked.get() + " publishes were nacked");
      }
      long n = confirmed.get() - before;
      total.addAndGet(n);
      return n;
    }
  }

  // ------------------------------------------------------------------ RabbitMQ housekeeping

  private static String anchorQueue(String namespace) {
    return namespace + ".anchor";
  }

  private static ConnectionFactory factory(String amqpUrl) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(amqpUrl);
    factory.setConnectionTimeout(3_000);
    return factory;
  }

  /** Null when the broker answers, else why not. */
  private static String probe(String amqpUrl) {
    try (Connection c = factory(amqpUrl).newConnection("qbench-probe")) {
      return null;
    } catch (Exception e) {
      return "RabbitMQ at " + amqpUrl.replaceAll("//([^:/@]+):[^@/]*@", "//$1:***@") + " is not reachable: " + e;
    }
  }

  /** Deletes every queue the engine's adapter and the anchor declared in {@code namespace}, and checks they are gone. */
  private static String cleanup(String amqpUrl, String namespace) {
    RabbitTopology topology = new RabbitTopology(namespace);
    List<String> queues = new ArrayList<>(topology.queueNames(QueueSpec.namedKey(QUEUE), BENCH_RETRY));
    queues.addAll(topology.queueNames(QueueSpec.namedKey("default"), Retry.DEFAULTS));
    queues.add(anchorQueue(namespace));
    int left = 0;
    try (Connection c = factory(amqpUrl).newConnection("qbench-cleanup")) {
      for (String q : queues) {
        Channel ch = c.createChannel();
        try {
          ch.queueDelete(q);
          ch.close();
        } catch (IOException absent) {
          // never declared (the broker closed the channel): nothing to delete
        }
      }
      for (String q : queues) {
        Channel ch = c.createChannel();
        try {
          ch.queueDeclarePassive(q);
          left++;
          ch.close();
        } catch (IOException gone) {
          // 404: the broker closed the channel, as expected
        }
      }
    } catch (Exception e) {
      return "RabbitMQ cleanup of namespace " + namespace + " FAILED: " + e;
    }
    return left == 0
        ? "RabbitMQ cleanup: " + queues.size() + " queues of namespace " + namespace + " deleted"
        : "RabbitMQ cleanup: " + left + " queues of namespace " + namespace + " are still there";
  }

  // ------------------------------------------------------------------ printing and files

  private static String number(double value, String format) {
    return Double.isNaN(value) ? "-" : String.format(format, value);
  }

  private static String ms(Histogram h, double percentile) {
    if (h.getTotalCount() == 0) {
      return "-";
    }
    return String.format("%.2f", h.getValueAtPercentile(percentile) / 1e6);
  }

  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException | RuntimeException e) {
      return String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
