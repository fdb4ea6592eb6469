package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Observability against software that is not ours: the engine's {@code GET /metrics} read by a
 * Prometheus text-format parser from npm ({@code parse-prometheus-text-format}), and a Node
 * {@code iii-sdk@0.22.1} worker with OpenTelemetry on, whose {@code Logger} lines and OTel metrics
 * reach {@code engine::logs::list} and {@code engine::metrics::list} over {@code /otel}.
 */
class ObservabilityIT extends InteropTest {

  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

  private final List<NodeWorker> scripts = new ArrayList<>();

  @AfterEach
  void stopScripts() {
    scripts.forEach(NodeWorker::close);
  }

  private NodeWorker script(String file, Map<String, String> env, String log) {
    NodeRuntime.requireThat(
        Files.isDirectory(NodeRuntime.NODE_DIR.resolve("node_modules/parse-prometheus-text-format"))
            ? null
            : "parse-prometheus-text-format is missing from node_modules (npm ci)",
        "parse-prometheus-text-format");
    NodeWorker worker = NodeWorker.start(file, List.of("node", file), env, getClass().getSimpleName() + "-" + log);
    scripts.add(worker);
    return worker;
  }

  private JsonNode command(NodeWorker node, String name, Map<String, ?> fields, String answer) {
    int before = node.events(answer).size();
    node.command(name, fields);
    return node.awaitCount(answer, before + 1).get(before);
  }

  private static JsonNode family(JsonNode scraped, String name) {
    for (JsonNode family : scraped.get("families")) {
      if (family.get("name").asText().equals(name)) {
        return family;
      }
    }
    throw new AssertionError("no family " + name + " in the scrape");
  }

  /** The value of the series of {@code family} with exactly {@code labels}; null when absent. */
  private static Double value(JsonNode scraped, String family, Map<String, String> labels) {
    for (JsonNode metric : family(scraped, family).get("metrics")) {
      Map<String, String> actual = new HashMap<>();
      metric.path("labels").fields().forEachRemaining(e -> actual.put(e.getKey(), e.getValue().asText()));
      if (actual.equals(labels)) {
        return Double.parseDouble(metric.get("value").asText());
      }
    }
    return null;
  }

  @Test
  void theMetricsEndpointIsReadByAPrometheusTextParserAndCountsMove() throws Exception {
    AtomicLong dropped = new AtomicLong(3);
    engine.metrics().counter("linkly_clicks_dropped_total", "Clicks that could not be recorded", dropped::get);
    Iii handler = javaWorker("handler");
    handler.registerFunction("obs::echo", (data, ctx) -> Map.of("ok", true));
    handler.registerFunction("obs::fail", (data, ctx) -> {
      throw new IllegalStateException("no");
    });
    awaitFunction("obs::echo");
    awaitFunction("obs::fail");
    Iii caller = javaWorker("caller");
    caller.trigger(TriggerRequest.of("obs::echo", Map.of("n", 0)));
    String url = "http://127.0.0.1:" + engine.workerPort() + "/metrics";
    NodeWorker prometheus = script("prometheus.mjs", Map.of(), "prometheus");

    JsonNode first = command(prometheus, "scrape", Map.of("url", url), "scraped");
    assertThat(first.get("status").asInt()).isEqualTo(200);
    assertThat(first.get("content_type").asText()).startsWith("text/plain; version=0.0.4");
    Map<String, String> ok = Map.of("function", "obs::echo", "outcome", "ok");
    double before = value(first, "iii_invocations_total", ok);
    for (int i = 0; i < 4; i++) {
      caller.trigger(TriggerRequest.of("obs::echo", Map.of("n", i)));
    }
    try {
      caller.trigger(TriggerRequest.of("obs::fail", Map.of()));
    } catch (RuntimeException expected) {
      // the handler threw: counted as an error
    }

    JsonNode second = command(prometheus, "scrape", Map.of("url", url), "scraped");
    assertThat(family(second, "iii_invocations_total").get("type").asText()).isEqualTo("COUNTER");
    assertThat(value(second, "iii_invocations_total", ok) - before).isEqualTo(4.0);
    assertThat(value(second, "iii_invocations_total", Map.of("function", "obs::fail", "outcome", "error"))).isEqualTo(1.0);
    assertThat(family(second, "iii_invocation_duration_seconds").get("type").asText()).isEqualTo("HISTOGRAM");
    assertThat(value(second, "iii_workers_connected", Map.of())).isEqualTo(2.0);
    assertThat(family(second, "iii_workers_connected").get("type").asText()).isEqualTo("GAUGE");
    assertThat(value(second, "linkly_clicks_dropped_total", Map.of())).isEqualTo(3.0);
    assertThat(value(second, "iii_trigger_deliveries_dropped_total", Map.of("trigger_type", "stream"))).isZero();
    List<String> names = new ArrayList<>();
    second.get("families").forEach(f -> names.add(f.get("name").asText()));
    assertThat(names).doesNotHaveDuplicates().allMatch(n -> n.startsWith("iii_") || n.startsWith("linkly_"));

    JsonNode histogram =
        command(prometheus, "histogram",
            Map.of("url", url, "family", "iii_invocation_duration_seconds", "labels", Map.of("function", "obs::echo")),
            "histogram").get("parsed").get(0).get("metrics").get(0);
    assertThat(Long.parseLong(histogram.get("count").asText())).isEqualTo(5);
    assertThat(Double.parseDouble(histogram.get("sum").asText())).isPositive();
    JsonNode buckets = histogram.get("buckets");
    List<double[]> sorted = new ArrayList<>();
    buckets.fields().forEachRemaining(e -> sorted.add(new double[] {
        e.getKey().equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(e.getKey()), Double.parseDouble(e.getValue().asText())}));
    sorted.sort((a, b) -> Double.compare(a[0], b[0]));
    assertThat(sorted).hasSizeGreaterThan(10);
    for (int i = 1; i < sorted.size(); i++) {
      assertThat(sorted.get(i)[1]).as("buckets are cumulative at le=" + sorted.get(i)[0]).isGreaterThanOrEqualTo(sorted.get(i - 1)[1]);
    }
    assertThat(sorted.get(sorted.size() - 1)[1]).as("+Inf holds every call").isEqualTo(5.0);
  }

  @Test
  void aNodeWorkersLoggerLinesAndOtelMetricsReachTheEngine() throws Exception {
    NodeWorker node = script("telemetry.mjs", Map.of("III_URL", engine.workerUrl(), "WORKER_NAME", name("node"), "OTEL_ENABLED", "true"), "telemetry");
    node.await("ready");
    awaitFunction("obs::resolve");
    for (String code : List.of("iii", "missing")) {
      engine.core()
          .invoke(new Call("obs::resolve", JSON.valueToTree(Map.of("code", code)), null, TRACEPARENT, null, null))
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    JsonNode logs =
        await("the Logger's lines in engine::logs::list").atMost(WAIT)
            .until(
                () -> engine.core().invoke(Call.of("engine::logs::list", json("{\"search\":\"link resolved\"}"))).get(),
                l -> l.get("total").asInt() >= 2);
    Map<String, JsonNode> byCode = new HashMap<>();
    logs.get("logs").forEach(l -> byCode.put(l.path("attributes").path("log.data").path("code").asText(), l));
    assertThat(byCode).containsKeys("iii", "missing");
    JsonNode found = byCode.get("iii");
    assertThat(found.get("body").asText()).isEqualTo("link resolved");
    assertThat(found.get("attributes").get("log.data").get("found").asBoolean()).isTrue();
    assertThat(byCode.get("missing").get("attributes").get("log.data").get("found").asBoolean()).isFalse();
    assertThat(found.get("severity_number").asInt()).isEqualTo(9);
    assertThat(found.get("severity_text").asText()).isEqualTo("INFO");
    assertThat(found.get("service_name").asText()).isEqualTo(name("node"));
    assertThat(found.get("trace_id").asText()).as("the trace of the call that logged it\n%s", found).isEqualTo(TRACE_ID);
    assertThat(engine.core().invoke(Call.of("engine::logs::list", json("{\"trace_id\":\"" + TRACE_ID + "\"}"))).get().get("total").asInt())
        .isGreaterThanOrEqualTo(2);

    JsonNode metrics =
        await("the OTel counter in engine::metrics::list").atMost(WAIT)
            .until(
                () -> engine.core().invoke(Call.of("engine::metrics::list", json("{\"metric_name\":\"links.resolved\"}"))).get().get("sdk_metrics"),
                m -> m.size() > 0);
    JsonNode counter = metrics.get(metrics.size() - 1);
    assertThat(counter.get("metric_type").asText()).isEqualTo("counter");
    assertThat(counter.get("service_name").asText()).isEqualTo(name("node"));
    double total = 0;
    for (JsonNode point : counter.get("data_points")) {
      total += point.get("value").asDouble();
    }
    assertThat(total).isEqualTo(2.0);
    node.closeStdin();
  }
}
