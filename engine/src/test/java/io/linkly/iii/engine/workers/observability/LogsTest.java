package io.linkly.iii.engine.workers.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.engine.workers.BuiltinWorkers;
import io.linkly.iii.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Logs through the engine, over real sockets: {@code engine::log::*} from a worker (with the trace
 * of the call), OTLP {@code LOGS} frames on {@code /otel} and on the worker socket, the filters of
 * {@code engine::logs::list}, the store's bounds, sampling, and the {@code log} trigger.
 */
class LogsTest {

  static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

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

  /** An ephemeral engine whose observability block is {@code block} (upstream's fixture plus these keys). */
  private IiiEngine start(String extraYaml, Clock clock) throws Exception {
    ObjectNode block = (ObjectNode) Json.mapper().readTree("""
        {"enabled": true, "exporter": "memory", "metrics_enabled": true, "logs_console_output": false}""");
    if (!extraYaml.isBlank()) {
      block.setAll((ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(extraYaml));
    }
    engine = IiiEngine.start(EngineConfig.ephemeral().with(ObservabilityWorker.NAME, block), BuiltinWorkers.standard(), clock);
    return engine;
  }

  private IiiEngine start(String extraYaml) throws Exception {
    return start(extraYaml, Clock.systemUTC());
  }

  private RawWorker worker() throws Exception {
    RawWorker worker = RawWorker.connect(engine.workerUrl());
    open.add(worker);
    return worker;
  }

  private TelemetrySocket otel() throws Exception {
    TelemetrySocket socket = TelemetrySocket.open(engine.workerUrl());
    open.add(socket);
    return socket;
  }

  /** Calls {@code function} with {@code data} and the given trace headers (either may be null). */
  private static JsonNode call(RawWorker worker, String function, String data, String traceparent, String baggage) throws Exception {
    String id = UUID.randomUUID().toString();
    ObjectNode frame = Json.object().put("type", "invokefunction").put("invocation_id", id).put("function_id", function);
    frame.set("data", Json.mapper().readTree(data));
    if (traceparent != null) {
      frame.put("traceparent", traceparent);
    }
    if (baggage != null) {
      frame.put("baggage", baggage);
    }
    worker.send(Json.write(frame));
    return worker.answer(id);
  }

  private JsonNode list(RawWorker worker, String query) throws Exception {
    JsonNode answer = worker.call("engine::logs::list", query);
    assertThat(answer.has("error")).as(answer.toString()).isFalse();
    return answer.get("result");
  }

  private static List<String> bodies(JsonNode result) {
    List<String> out = new ArrayList<>();
    result.get("logs").forEach(l -> out.add(l.get("body").asText()));
    return out;
  }

  static String otlpLogs(String service, String body, int severity, String traceId, String functionId) {
    long now = System.currentTimeMillis() * 1_000_000L;
    return """
        {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"%s"}},
          {"key":"telemetry.sdk.language","value":{"stringValue":"nodejs"}}]},
         "scopeLogs":[{"scope":{"name":"iii-sdk","version":"0.22.1"},
          "logRecords":[{"timeUnixNano":"%d","observedTimeUnixNano":"%d","severityNumber":%d,
           "body":{"stringValue":"%s"},
           "attributes":[{"key":"log.data","value":{"kvlistValue":{"values":[
               {"key":"orderId","value":{"stringValue":"o-1"}},{"key":"amount","value":{"doubleValue":49.99}},
               {"key":"count","value":{"intValue":"3"}}]}}},
             {"key":"iii.function.id","value":{"stringValue":"%s"}}],
           "traceId":"%s","spanId":"b7ad6b7169203331","flags":1}]}]}]}
        """.formatted(service, now, now, severity, body, functionId, traceId);
  }

  // ------------------------------------------------------------------ engine::log::*

  @Test
  void aLogLineCarriesItsDataAndTheTraceOfTheCallThatMadeIt() throws Exception {
    start("");
    RawWorker worker = worker();
    JsonNode answer =
        call(worker, "engine::log::info", "{\"message\":\"link resolved\",\"data\":{\"code\":\"abc\",\"url\":\"https://iii.dev\"},\"service_name\":\"link\"}",
            TRACEPARENT, "iii.session.id=s-1,iii.function.id=link%3A%3Aresolve");
    assertThat(answer.has("error")).as(answer.toString()).isFalse();
    call(worker, "engine::log::info", "{\"message\":\"no trace here\"}", "not-a-traceparent", null);

    JsonNode result = list(worker, "{\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\"}");
    assertThat(result.get("total").asInt()).isEqualTo(1);
    JsonNode log = result.get("logs").get(0);
    assertThat(log.get("body").asText()).isEqualTo("link resolved");
    assertThat(log.get("severity_number").asInt()).isEqualTo(9);
    assertThat(log.get("severity_text").asText()).isEqualTo("INFO");
    assertThat(log.get("trace_id").asText()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
    assertThat(log.get("span_id").asText()).isEqualTo("b7ad6b7169203331");
    assertThat(log.get("service_name").asText()).isEqualTo("link");
    assertThat(log.get("attributes").get("log.data").get("code").asText()).isEqualTo("abc");
    assertThat(log.get("attributes").get("iii.function.id").asText()).isEqualTo("link::resolve");
    assertThat(log.get("timestamp_unix_nano").asLong()).isPositive();
    assertThat(log.get("instrumentation_scope_name").asText()).isEqualTo("iii");
    assertThat(result.get("query").get("trace_id").asText()).isEqualTo("0af7651916cd43dd8448eb211c80319c");

    JsonNode untraced = list(worker, "{\"search\":\"no trace\"}").get("logs").get(0);
    assertThat(untraced.get("trace_id").isNull()).as("a malformed traceparent is ignored").isTrue();
    assertThat(list(worker, "{\"function_id\":\"link::resolve\"}").get("total").asInt()).isEqualTo(1);
  }

  @Test
  void explicitTraceIdsWinOverTheCallsTraceparent() throws Exception {
    start("");
    RawWorker worker = worker();
    call(worker, "engine::log::warn", "{\"message\":\"m\",\"trace_id\":\"11111111111111111111111111111111\",\"span_id\":\"2222222222222222\"}",
        TRACEPARENT, null);
    JsonNode log = list(worker, "{}").get("logs").get(0);
    assertThat(log.get("trace_id").asText()).isEqualTo("11111111111111111111111111111111");
    assertThat(log.get("span_id").asText()).isEqualTo("2222222222222222");
    assertThat(worker.call("engine::log::info", "{}").get("error").get("code").asText()).isEqualTo("deserialization_error");
  }

  // ------------------------------------------------------------------ OTLP frames

  @Test
  void logsFramesOnOtelAndOnTheWorkerSocketAreStoredInUpstreamsShape() throws Exception {
    start("");
    RawWorker worker = worker();
    TelemetrySocket otel = otel();
    otel.send("LOGS", "{not json");
    otel.send("LOGS", otlpLogs("orders", "payment failed", 17, "0af7651916cd43dd8448eb211c80319c", "orders::pay"));
    worker.sendBinary(("LOGS" + otlpLogs("links", "from the worker socket", 9, "00000000000000000000000000000000", "links::get"))
        .getBytes(StandardCharsets.UTF_8));

    JsonNode result = await().atMost(Duration.ofSeconds(10)).until(() -> list(worker, "{}"), r -> r.get("total").asInt() == 2);
    JsonNode failed = list(worker, "{\"search\":\"PAYMENT\"}").get("logs").get(0);
    assertThat(failed.get("severity_number").asInt()).isEqualTo(17);
    assertThat(failed.get("severity_text").asText()).as("named from the number when the SDK sends none").isEqualTo("ERROR");
    assertThat(failed.get("service_name").asText()).isEqualTo("orders");
    assertThat(failed.get("resource").get("telemetry.sdk.language").asText()).isEqualTo("nodejs");
    assertThat(failed.get("attributes").get("log.data").get("orderId").asText()).isEqualTo("o-1");
    assertThat(failed.get("attributes").get("log.data").get("amount").asDouble()).isEqualTo(49.99);
    assertThat(failed.get("attributes").get("log.data").get("count").asLong()).isEqualTo(3);
    assertThat(failed.get("trace_id").asText()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
    assertThat(failed.get("span_id").asText()).isEqualTo("b7ad6b7169203331");
    assertThat(failed.get("instrumentation_scope_name").asText()).isEqualTo("iii-sdk");
    assertThat(failed.get("instrumentation_scope_version").asText()).isEqualTo("0.22.1");

    JsonNode viaWorkerSocket = list(worker, "{\"service_name\":\"links\"}").get("logs").get(0);
    assertThat(viaWorkerSocket.get("body").asText()).isEqualTo("from the worker socket");
    assertThat(viaWorkerSocket.get("trace_id").isNull()).as("the all-zero id means none").isTrue();
    assertThat(engine.droppedFrames()).as("the frame that was not JSON").isEqualTo(1);
    assertThat(result.get("logs").size()).isEqualTo(2);
    assertThat(worker.isOpen()).isTrue();
  }

  @Test
  void withObservabilityDisabledSdkLogsAreNotIngestedButEngineLogsAre() throws Exception {
    start("enabled: false");
    RawWorker worker = worker();
    otel().send("LOGS", otlpLogs("orders", "ignored", 9, "0af7651916cd43dd8448eb211c80319c", "orders::pay"));
    call(worker, "engine::log::info", "{\"message\":\"kept\"}", null, null);
    assertThat(bodies(list(worker, "{}"))).containsExactly("kept");
  }

  // ------------------------------------------------------------------ filters and bounds

  @Test
  void filtersPickByLevelServiceWorkerFunctionTextTimeAndPage() throws Exception {
    start("");
    RawWorker a = worker();
    RawWorker b = worker();
    b.call("engine::workers::register", "{\"name\":\"billing-worker\"}");
    long before = System.currentTimeMillis();
    call(a, "engine::log::debug", "{\"message\":\"one debug\",\"service_name\":\"links\"}", null, "iii.function.id=links::get");
    call(a, "engine::log::info", "{\"message\":\"two info\",\"service_name\":\"links\"}", null, "iii.function.id=links::get");
    call(b, "engine::log::warn", "{\"message\":\"three warn\"}", null, "iii.function.id=billing::charge");
    call(b, "engine::log::error", "{\"message\":\"four ERROR\",\"service_name\":\"billing\"}", null, null);
    long after = System.currentTimeMillis();

    assertThat(bodies(list(a, "{}"))).as("newest first").containsExactly("four ERROR", "three warn", "two info", "one debug");
    assertThat(bodies(list(a, "{\"severity_min\":13}"))).containsExactly("four ERROR", "three warn");
    assertThat(bodies(list(a, "{\"severity_text\":\"info\"}"))).containsExactly("two info");
    assertThat(bodies(list(a, "{\"service_name\":\"links\"}"))).containsExactly("two info", "one debug");
    assertThat(bodies(list(a, "{\"worker\":\"billing-worker\"}"))).as("by the worker's name, whatever the service name").containsExactly("four ERROR", "three warn");
    assertThat(bodies(list(a, "{\"function_id\":\"links::get\"}"))).containsExactly("two info", "one debug");
    assertThat(bodies(list(a, "{\"search\":\"error\"}"))).containsExactly("four ERROR");
    assertThat(bodies(list(a, "{\"start_time\":" + before + ",\"end_time\":" + after + "}"))).hasSize(4);
    assertThat(list(a, "{\"end_time\":" + (before - 60_000) + "}").get("total").asInt()).isZero();
    JsonNode page = list(a, "{\"offset\":1,\"limit\":2}");
    assertThat(bodies(page)).containsExactly("three warn", "two info");
    assertThat(page.get("total").asInt()).as("the total before paging").isEqualTo(4);
    assertThat(a.call("engine::logs::list", "{\"severity_min\":\"high\"}").get("error").get("code").asText())
        .isEqualTo("deserialization_error");

    assertThat(a.call("engine::logs::clear", "{}").get("result").get("success").asBoolean()).isTrue();
    assertThat(list(a, "{}").get("total").asInt()).isZero();
  }

  @Test
  void theStoreKeepsTheNewestUpToTheMaxCount() throws Exception {
    start("logs_max_count: 3");
    RawWorker worker = worker();
    for (int i = 1; i <= 5; i++) {
      call(worker, "engine::log::info", "{\"message\":\"line " + i + "\"}", null, null);
    }
    assertThat(bodies(list(worker, "{}"))).containsExactly("line 5", "line 4", "line 3");
  }

  @Test
  void logsOlderThanTheRetentionAreGone() throws Exception {
    OffsetClock clock = new OffsetClock();
    start("logs_retention_seconds: 60", clock);
    RawWorker worker = worker();
    call(worker, "engine::log::info", "{\"message\":\"old\"}", null, null);
    assertThat(bodies(list(worker, "{}"))).containsExactly("old");
    clock.advance(Duration.ofSeconds(61));
    call(worker, "engine::log::info", "{\"message\":\"new\"}", null, null);
    assertThat(bodies(list(worker, "{}"))).containsExactly("new");
  }

  @Test
  void samplingDropsOnlyLogsBelowError() throws Exception {
    start("logs_sampling_ratio: 0");
    RawWorker worker = worker();
    call(worker, "engine::log::info", "{\"message\":\"info\"}", null, null);
    call(worker, "engine::log::warn", "{\"message\":\"warn\"}", null, null);
    call(worker, "engine::log::error", "{\"message\":\"error\"}", null, null);
    assertThat(bodies(list(worker, "{}"))).containsExactly("error");
    JsonNode rules = worker.call("engine::sampling::rules", "{}").get("result");
    assertThat(rules.get("logs").get("sampling_ratio").asDouble()).isZero();
    assertThat(rules.get("traces").get("default_ratio").asDouble()).isEqualTo(1.0);
  }

  @Test
  void withLogsDisabledNothingIsStored() throws Exception {
    start("logs_enabled: false");
    RawWorker worker = worker();
    assertThat(worker.call("engine::log::info", "{\"message\":\"x\"}").has("error")).isFalse();
    JsonNode result = list(worker, "{}");
    assertThat(result.get("total").asInt()).isZero();
    assertThat(worker.call("engine::logs::clear", "{}").get("result").get("message").asText()).contains("No log storage");
    JsonNode health = worker.call("engine::health::check", "{}").get("result");
    assertThat(health.get("components").get("logs").get("status").asText()).isEqualTo("disabled");
  }

  @Test
  void healthReportsTheStoresInUpstreamsShape() throws Exception {
    start("service_name: linkly");
    RawWorker worker = worker();
    call(worker, "engine::log::info", "{\"message\":\"x\"}", null, null);
    JsonNode components = worker.call("engine::health::check", "{}").get("result").get("components");
    assertThat(components.get("logs").get("status").asText()).isEqualTo("healthy");
    assertThat(components.get("logs").get("details").get("stored_logs").asInt()).isEqualTo(1);
    assertThat(components.get("otel").get("details").get("service_name").asText()).isEqualTo("linkly");
    assertThat(components.get("metrics").get("details").get("stored_metrics").asInt()).isZero();
  }

  // ------------------------------------------------------------------ the log trigger

  @Test
  void aLogTriggerFiresForItsLevelOnlyWithTheStoredLog() throws Exception {
    start("");
    RawWorker handler = worker();
    handler.send("{\"type\":\"registerfunction\",\"id\":\"audit::on_error\"}");
    handler.send("{\"type\":\"registertrigger\",\"id\":\"t-1\",\"trigger_type\":\"log\",\"function_id\":\"audit::on_error\",\"config\":{\"level\":\"error\"}}");
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.core().triggerBindings().stream().anyMatch(b -> b.id().equals("t-1")));
    RawWorker caller = worker();
    call(caller, "engine::log::warn", "{\"message\":\"only a warning\"}", null, null);
    call(caller, "engine::log::error", "{\"message\":\"it broke\",\"data\":{\"code\":7}}", TRACEPARENT, null);

    JsonNode invocation = handler.next(m -> "invokefunction".equals(m.path("type").asText()), Duration.ofSeconds(10));
    assertThat(invocation).isNotNull();
    assertThat(invocation.get("function_id").asText()).isEqualTo("audit::on_error");
    JsonNode payload = invocation.get("data");
    assertThat(payload.get("body").asText()).isEqualTo("it broke");
    assertThat(payload.get("severity_text").asText()).isEqualTo("ERROR");
    assertThat(payload.get("trace_id").asText()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
    assertThat(payload.get("attributes").get("log.data").get("code").asInt()).isEqualTo(7);
    handler.send("{\"type\":\"invocationresult\",\"invocation_id\":\"" + invocation.get("invocation_id").asText() + "\",\"function_id\":\"audit::on_error\",\"result\":null}");
    assertThat(handler.drain(Duration.ofMillis(300)).stream().filter(m -> "invokefunction".equals(m.path("type").asText())))
        .as("the warning did not fire the error trigger")
        .isEmpty();
  }

  /** System time plus an offset the test moves forward. */
  static final class OffsetClock extends Clock {
    private volatile Duration offset = Duration.ZERO;

    void advance(Duration by) {
      offset = offset.plus(by);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(offset);
    }
  }
}
