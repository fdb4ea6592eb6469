package io.linkly.iii.engine.workers.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.metrics.Counter;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.engine.testing.StreamClient;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code engine::metrics::list} and {@code GET /metrics} over real sockets: counts that move with
 * calls, SDK metrics from {@code MTRC} frames, the built-ins' gauges, an application's own metrics,
 * and text a Prometheus parser accepts (checked line by line here; the interop module parses it
 * with a real Prometheus text parser).
 */
class MetricsTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private IiiEngine engine;
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  private RawWorker worker() throws Exception {
    RawWorker worker = RawWorker.connect(engine.workerUrl());
    open.add(worker);
    return worker;
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + engine.workerPort() + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Calls {@code function} from {@code caller}; {@code handler} answers with {@code result} (or an error). */
  private static JsonNode callServed(RawWorker caller, RawWorker handler, String function, boolean fail) throws Exception {
    String id = caller.invoke(function, Json.object().put("n", 1), null);
    JsonNode invocation = handler.next(m -> "invokefunction".equals(m.path("type").asText()), Duration.ofSeconds(10));
    ObjectNode answer =
        Json.object().put("type", "invocationresult").put("invocation_id", invocation.get("invocation_id").asText()).put("function_id", function);
    if (fail) {
      answer.putObject("error").put("code", "boom").put("message", "failed");
    } else {
      answer.putObject("result").put("ok", true);
    }
    handler.send(Json.write(answer));
    return caller.answer(id);
  }

  /** Registers {@code function} on {@code handler} and waits until the engine routes it. */
  private void serve(RawWorker handler, String function) {
    handler.send(Json.write(Json.object().put("type", "registerfunction").put("id", function)));
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.core().function(function).isPresent());
  }

  // ------------------------------------------------------------------ engine::metrics::list

  @Test
  void metricsListCountsInvocationsWorkersAndLatency() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral());
    RawWorker handler = worker();
    RawWorker caller = worker();
    serve(handler, "m::echo");
    JsonNode before = caller.call("engine::metrics::list", "{}").get("result").get("engine_metrics");
    for (int i = 0; i < 3; i++) {
      assertThat(callServed(caller, handler, "m::echo", false).has("error")).isFalse();
    }
    assertThat(callServed(caller, handler, "m::echo", true).get("error").get("code").asText()).isEqualTo("boom");
    caller.call("m::missing", "{}");

    JsonNode result = caller.call("engine::metrics::list", "{}").get("result");
    JsonNode invocations = result.get("engine_metrics").get("invocations");
    assertThat(invocations.get("by_function").get("m::echo").asLong()).isEqualTo(4);
    assertThat(invocations.get("total").asLong()).isGreaterThanOrEqualTo(before.get("invocations").get("total").asLong() + 6);
    assertThat(invocations.get("success").asLong()).isGreaterThanOrEqualTo(before.get("invocations").get("success").asLong() + 3);
    assertThat(invocations.get("error").asLong()).isGreaterThanOrEqualTo(before.get("invocations").get("error").asLong() + 2);
    assertThat(invocations.get("by_function").has("m::missing")).as("unregistered ids are pooled").isFalse();
    assertThat(invocations.get("by_function").get("_other").asLong()).isGreaterThanOrEqualTo(1);
    JsonNode workers = result.get("engine_metrics").get("workers");
    assertThat(workers.get("spawns").asLong()).isGreaterThanOrEqualTo(2);
    assertThat(workers.get("active").asLong()).isEqualTo(2);
    JsonNode performance = result.get("engine_metrics").get("performance");
    assertThat(performance.get("max_duration_ms").asDouble()).isGreaterThanOrEqualTo(performance.get("min_duration_ms").asDouble());
    assertThat(performance.get("p99_duration_ms").asDouble()).isGreaterThanOrEqualTo(performance.get("p50_duration_ms").asDouble());
    assertThat(performance.get("avg_duration_ms").asDouble()).isPositive();
    assertThat(result.get("sdk_metrics").isArray()).isTrue();
    assertThat(result.has("query")).isFalse();
    assertThat(result.get("timestamp").asLong()).isPositive();
  }

  @Test
  void metricsFramesOnOtelAreStoredAndListedByName() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral());
    RawWorker caller = worker();
    TelemetrySocket otel = TelemetrySocket.open(engine.workerUrl());
    open.add(otel);
    otel.send("MTRC", """
        {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"node-links"}}]},
          "scopeMetrics":[{"scope":{"name":"iii-sdk","version":"0.22.1"},"metrics":[
            {"name":"clicks","description":"Clicks seen","unit":"1","sum":{"isMonotonic":true,"aggregationTemporality":2,
              "dataPoints":[{"asInt":"5","timeUnixNano":"1700000000000000000","attributes":[{"key":"code","value":{"stringValue":"abc"}}]}]}},
            {"name":"queue.size","gauge":{"dataPoints":[{"asDouble":2.5,"timeUnixNano":"1700000000000000000"}]}},
            {"name":"latency","unit":"ms","histogram":{"aggregationTemporality":2,"dataPoints":[{"count":"3","sum":30.5,
              "bucketCounts":["1","2","0"],"explicitBounds":[10,20],"min":5,"max":15,"timeUnixNano":"1700000000000000000"}]}}
          ]}]}]}
        """);
    JsonNode all = await().atMost(Duration.ofSeconds(10))
        .until(() -> caller.call("engine::metrics::list", "{}").get("result").get("sdk_metrics"), m -> m.size() == 3);
    JsonNode clicks = all.get(0);
    assertThat(clicks.get("name").asText()).isEqualTo("clicks");
    assertThat(clicks.get("metric_type").asText()).isEqualTo("counter");
    assertThat(clicks.get("service_name").asText()).isEqualTo("node-links");
    assertThat(clicks.get("data_points").get(0).get("value").asDouble()).isEqualTo(5.0);
    assertThat(clicks.get("data_points").get(0).get("attributes")).isEqualTo(Json.mapper().readTree("[[\"code\",\"abc\"]]"));
    assertThat(all.get(1).get("metric_type").asText()).isEqualTo("gauge");
    JsonNode latency = caller.call("engine::metrics::list", "{\"metric_name\":\"latency\"}").get("result").get("sdk_metrics");
    assertThat(latency).hasSize(1);
    JsonNode point = latency.get(0).get("data_points").get(0);
    assertThat(point.get("count").asLong()).isEqualTo(3);
    assertThat(point.get("bucket_counts")).isEqualTo(Json.mapper().readTree("[1,2,0]"));
    assertThat(point.get("explicit_bounds")).isEqualTo(Json.mapper().readTree("[10.0,20.0]"));
    long now = System.currentTimeMillis();
    JsonNode ranged = caller.call("engine::metrics::list", "{\"start_time\":" + (now - 60_000) + ",\"end_time\":" + (now + 60_000) + "}").get("result");
    assertThat(ranged.get("sdk_metrics")).hasSize(3);
    assertThat(ranged.get("query").get("start_time").asLong()).isEqualTo(now - 60_000);
    assertThat(caller.call("engine::metrics::list", "{\"end_time\":" + (now - 60_000) + "}").get("result").get("sdk_metrics")).isEmpty();
  }

  @Test
  void sdkMetricsAreBoundedByTheMaxCount() throws Exception {
    ObjectNode block = (ObjectNode) Json.mapper().readTree("{\"enabled\":true,\"metrics_enabled\":true,\"metrics_max_count\":2}");
    engine = IiiEngine.start(EngineConfig.ephemeral().with(ObservabilityWorker.NAME, block));
    RawWorker caller = worker();
    TelemetrySocket otel = TelemetrySocket.open(engine.workerUrl());
    open.add(otel);
    for (String name : List.of("a", "b", "c")) {
      otel.send("MTRC", "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"" + name
          + "\",\"gauge\":{\"dataPoints\":[{\"asInt\":1}]}}]}]}]}");
    }
    JsonNode kept = await().atMost(Duration.ofSeconds(10)).until(
        () -> caller.call("engine::metrics::list", "{}").get("result").get("sdk_metrics"),
        m -> m.size() == 2 && m.get(1).get("name").asText().equals("c"));
    assertThat(kept.get(0).get("name").asText()).isEqualTo("b");
    assertThat(kept.get(0).get("service_name").asText()).isEqualTo("unknown");
  }

  // ------------------------------------------------------------------ GET /metrics

  @Test
  void prometheusTextCountsCallsPerFunctionWithCumulativeHistograms() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral().with("iii-queue",
        Json.mapper().readTree("{\"adapter\":{\"name\":\"builtin\",\"config\":{\"store_method\":\"in_memory\"}}}")));
    AtomicLong clicksDropped = new AtomicLong(7);
    engine.metrics().counter("linkly_clicks_dropped_total", "Clicks that could not be recorded", clicksDropped::get);
    Counter custom = engine.metrics().counter("app_things_total", "Things");
    custom.add(2);
    engine.metrics().gauge("app_queue_size", "Labelled gauge", Map.of("queue", "a\"b\\c\nd"), () -> 4);
    RawWorker handler = worker();
    RawWorker caller = worker();
    String odd = "odd::\"quoted\"\\name";
    serve(handler, "m::echo");
    serve(handler, odd);
    try (StreamClient subscriber = StreamClient.connect("ws://127.0.0.1:" + engine.port("iii-stream").orElseThrow())) {
      subscriber.join("sub-1", "clicks", "all");
      await().atMost(Duration.ofSeconds(10)).until(() -> get("/metrics").body().contains("iii_stream_subscriptions 1"));

      Map<String, Double> first = parse(get("/metrics").body());
      callServed(caller, handler, "m::echo", false);
      callServed(caller, handler, "m::echo", false);
      callServed(caller, handler, "m::echo", true);
      callServed(caller, handler, odd, false);
      HttpResponse<String> response = get("/metrics");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
      Map<String, Double> second = parse(response.body());

      String ok = "iii_invocations_total{function=\"m::echo\",outcome=\"ok\"}";
      String error = "iii_invocations_total{function=\"m::echo\",outcome=\"error\"}";
      assertThat(second.get(ok) - first.getOrDefault(ok, 0.0)).isEqualTo(2.0);
      assertThat(second.get(error) - first.getOrDefault(error, 0.0)).isEqualTo(1.0);
      assertThat(second).containsKey("iii_invocations_total{function=\"odd::\\\"quoted\\\"\\\\name\",outcome=\"ok\"}");
      assertThat(second.get("iii_invocation_duration_seconds_count{function=\"m::echo\"}")).isEqualTo(3.0);
      assertThat(second.get("iii_invocation_duration_seconds_bucket{function=\"m::echo\",le=\"+Inf\"}")).isEqualTo(3.0);
      assertCumulative(second, "iii_invocation_duration_seconds_bucket{function=\"m::echo\",le=\"");
      assertThat(second.get("iii_workers_connected")).isEqualTo(2.0);
      assertThat(second.get("iii_stream_subscriptions")).isEqualTo(1.0);
      assertThat(second).containsKeys("iii_stream_deliveries_total", "iii_data_channels_open", "iii_frames_dropped_total",
          "iii_invocations_in_flight", "iii_trigger_deliveries_dropped_total{trigger_type=\"stream\"}",
          "iii_trigger_deliveries_dropped_total{trigger_type=\"state\"}", "iii_trigger_deliveries_dropped_total{trigger_type=\"log\"}");
      assertThat(second.get("iii_queue_depth{queue=\"default\"}")).isEqualTo(0.0);
      assertThat(second.get("iii_queue_dead_letters{queue=\"default\"}")).isEqualTo(0.0);
      assertThat(second.get("linkly_clicks_dropped_total")).isEqualTo(7.0);
      assertThat(second.get("app_things_total")).isEqualTo(2.0);
      assertThat(second.get("app_queue_size{queue=\"a\\\"b\\\\c\\nd\"}")).isEqualTo(4.0);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> parse(get("/metrics").body()).get("iii_stream_subscriptions") == 0.0);
  }

  @Test
  void otherPathsAndDisabledMetricsAnswer404() throws Exception {
    ObjectNode block = (ObjectNode) Json.mapper().readTree("{\"metrics_enabled\":false}");
    engine = IiiEngine.start(EngineConfig.ephemeral().with(ObservabilityWorker.NAME, block));
    assertThat(get("/metrics").statusCode()).isEqualTo(404);
    assertThat(get("/other").statusCode()).isEqualTo(404);
    RawWorker caller = worker();
    assertThat(caller.call("engine::metrics::list", "{}").get("result").get("sdk_metrics")).isEmpty();
  }

  // ------------------------------------------------------------------ a strict reading of the text format

  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\",?)*\\})? (\\S+)");

  /** Every sample as {@code name{labels}} → value; fails on any line that is not valid 0.0.4 text. */
  static Map<String, Double> parse(String text) {
    Map<String, Double> samples = new HashMap<>();
    Map<String, String> types = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("# HELP ")) {
        continue;
      }
      if (line.startsWith("# TYPE ")) {
        String[] parts = line.split(" ");
        assertThat(parts).hasSize(4);
        assertThat(types.put(parts[2], parts[3])).as("one TYPE per family: " + parts[2]).isNull();
        assertThat(parts[3]).isIn("counter", "gauge", "histogram");
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      assertThat(m.matches()).as("a sample line: " + line).isTrue();
      String name = m.group(1);
      String family = types.containsKey(name) ? name : name.replaceAll("_(bucket|sum|count)$", "");
      assertThat(types).as("a TYPE before " + name).containsKey(family);
      String value = m.group(3);
      double v = value.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(value);
      assertThat(samples.put(name + (m.group(2) == null ? "" : m.group(2)), v)).as("one sample per series: " + line).isNull();
    }
    return samples;
  }

  private static void assertCumulative(Map<String, Double> samples, String prefix) {
    List<double[]> buckets = new ArrayList<>();
    samples.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        String le = k.substring(prefix.length(), k.length() - 2);
        buckets.add(new double[] {le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), v});
      }
    });
    buckets.sort((a, b) -> Double.compare(a[0], b[0]));
    assertThat(buckets).hasSizeGreaterThan(10);
    for (int i = 1; i < buckets.size(); i++) {
      assertThat(buckets.get(i)[1]).as("bucket le=" + buckets.get(i)[0]).isGreaterThanOrEqualTo(buckets.get(i - 1)[1]);
    }
  }
}
