package io.linkly.iii.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.iii.sdk.WorkerOptions;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.concurrent.TimeUnit;

/**
 * Invoke round trip, Java caller → engine → Java worker → engine → caller, over WebSockets and
 * with both workers in the engine's JVM, beside NATS request-reply on the same machine in the same
 * run (DESIGN.md §5). Arguments: {@code [seconds-per-throughput-run] [sequential-calls] [nats-url]}.
 */
public final class InvokeBench {

  private static final int WINDOW = 64;
  private static final byte[] PAYLOAD = "{\"code\":\"iii\",\"n\":1}".getBytes(StandardCharsets.UTF_8);

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 10;
    int sequentialCalls = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
    String natsUrl = Loopback.require(args.length > 2 ? args[2] : "nats://127.0.0.1:4222");

    System.out.printf("invoke round trip, %s, %d cores, JDK %s%n",
        LocalDate.now(), Runtime.getRuntime().availableProcessors(), Runtime.version());

    RoundTrip.Latency iiiLatency;
    double iiiRate;
    RoundTrip.Latency localLatency;
    double localRate;
    try (IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral())) {
      try (Iii worker = Iii.registerWorker(engine.workerUrl(), WorkerOptions.builder().workerName("bench-worker").build());
          Iii caller = Iii.registerWorker(engine.workerUrl(), WorkerOptions.builder().workerName("bench-caller").build())) {
        RoundTrip.Caller call = echoCaller(worker, caller);
        iiiLatency = RoundTrip.sequential(call, 20_000, sequentialCalls);
        iiiRate = RoundTrip.concurrent(call, WINDOW, 3, seconds);
      }
      try (Iii worker = Iii.registerWorker(engine, WorkerOptions.builder().workerName("bench-local-worker").build());
          Iii caller = Iii.registerWorker(engine, WorkerOptions.builder().workerName("bench-local-caller").build())) {
        RoundTrip.Caller call = echoCaller(worker, caller);
        localLatency = RoundTrip.sequential(call, 20_000, sequentialCalls);
        localRate = RoundTrip.concurrent(call, WINDOW, 3, seconds);
      }
    }

    RoundTrip.Latency natsLatency;
    double natsRate;
    try (Connection nats = Nats.connect(new Options.Builder().server(natsUrl).noReconnect().build())) {
      Dispatcher echo = nats.createDispatcher(msg -> nats.publish(msg.getReplyTo(), msg.getData()));
      echo.subscribe("bench.echo");
      nats.flush(Duration.ofSeconds(5));
      RoundTrip.Caller call =
          () -> {
            if (nats.request("bench.echo", PAYLOAD, Duration.ofSeconds(10)) == null) {
              throw new IllegalStateException("NATS request timed out");
            }
          };
      natsLatency = RoundTrip.sequential(call, 20_000, sequentialCalls);
      natsRate = RoundTrip.concurrent(call, WINDOW, 3, seconds);
    }

    System.out.printf("%-28s %10s %10s %10s %14s%n", "system", "p50 µs", "p99 µs", "p99.9 µs", "calls/s @64");
    row("iii over WebSocket", iiiLatency, iiiRate);
    row("iii in-process workers", localLatency, localRate);
    row("NATS request-reply (jnats)", natsLatency, natsRate);
    System.out.printf("ratio iii/NATS over WebSocket: p50 %.2f (lower is better), throughput %.2f (higher is better)%n",
        iiiLatency.p50us() / natsLatency.p50us(), iiiRate / natsRate);
    System.out.printf("targets: WebSocket p50 <= 100 µs -> %s; WebSocket >= 1.2x NATS calls/s -> %s;"
            + " in-process p50 <= 20 µs -> %s%n",
        iiiLatency.p50us() <= 100 ? "met" : "NOT met",
        iiiRate >= 1.2 * natsRate ? "met" : "NOT met",
        localLatency.p50us() <= 20 ? "met" : "NOT met");
  }

  /** Registers the echo function on {@code worker}; returns one blocking call of it by {@code caller}. */
  private static RoundTrip.Caller echoCaller(Iii worker, Iii caller) throws Exception {
    worker.registerFunction("bench::echo", (data, ctx) -> data);
    worker.ready().get(10, TimeUnit.SECONDS);
    caller.ready().get(10, TimeUnit.SECONDS);
    JsonNode payload = Json.mapper().readTree(PAYLOAD);
    TriggerRequest request = TriggerRequest.of("bench::echo", payload).withTimeout(Duration.ofSeconds(10));
    awaitCallable(caller, request);
    return () -> caller.trigger(request);
  }

  private static void row(String name, RoundTrip.Latency latency, double rate) {
    System.out.printf("%-28s %10.1f %10.1f %10.1f %14.0f%n", name, latency.p50us(), latency.p99us(), latency.p999us(), rate);
  }

  /** Registration frames and the first call race; wait until the function answers. */
  private static void awaitCallable(Iii caller, TriggerRequest request) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      try {
        caller.trigger(request);
        return;
      } catch (RuntimeException e) {
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException("bench::echo never became callable");
  }
}
