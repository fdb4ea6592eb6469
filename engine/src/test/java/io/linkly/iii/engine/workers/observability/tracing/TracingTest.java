package io.linkly.iii.engine.workers.observability.tracing;

import static io.linkly.iii.engine.workers.observability.tracing.TraceWorker.spanId;
import static io.linkly.iii.engine.workers.observability.tracing.TraceWorker.traceId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.workers.observability.ObservabilityWorker;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Engine spans per invocation, the span store and {@code engine::traces::*}, SDK spans over {@code /otel}. */
class TracingTest {

  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String PARENT = "00f067aa0ba902b7";
  static final String TRACEPARENT = "00-" + TRACE + "-" + PARENT + "-01";

  private IiiEngine engine;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  private void start(String... settings) throws Exception {
    EngineConfig config = EngineConfig.ephemeral();
    for (int i = 0; i < settings.length; i += 2) {
      config = config.withSetting(ObservabilityWorker.NAME, settings[i], Json.mapper().readTree(settings[i + 1]));
    }
    engine = IiiEngine.start(config);
  }

  private TraceWorker worker() throws Exception {
    TraceWorker w = TraceWorker.connect(engine);
    closing.add(w);
    return w;
  }

  private JsonNode engineCall(String function, String data) throws Exception {
    return engine.core().invoke(Call.of(function, Json.mapper().readTree(data))).get(5, TimeUnit.SECONDS);
  }

  private List<JsonNode> spans(String traceId) throws Exception {
    JsonNode listed = engineCall("engine::traces::list", "{\"trace_id\":\"" + traceId + "\",\"include_internal\":true,\"search_all_spans\":true}");
    List<JsonNode> out = new ArrayList<>();
    listed.get("spans").forEach(out::add);
    return out;
  }

  private static String attribute(JsonNode span, String key) {
    for (JsonNode pair : span.get("attributes")) {
      if (pair.get(0).asText().equals(key)) {
        return pair.get(1).asText();
      }
    }
    return null;
  }

  /** Calls a::outer from a caller; a::outer calls b::inner as an SDK would (with its call's traceparent). */
  private String[] twoHops(String incoming) throws Exception {
    TraceWorker a = worker().register("a::outer");
    TraceWorker b = worker().register("b::inner");
    TraceWorker caller = worker();
    String call = caller.invoke("a::outer", "{\"x\":1}", incoming, null);
    JsonNode outer = a.invocation("a::outer");
    String outerParent = outer.path("traceparent").asText(null);
    assertThat(outerParent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]");
    String nested = a.invoke("b::inner", "{}", outerParent, null);
    JsonNode inner = b.invocation("b::inner");
    String innerParent = inner.path("traceparent").asText(null);
    b.answer(inner, "{\"ok\":true}");
    assertThat(a.answerTo(nested).has("error")).isFalse();
    a.answer(outer, "{\"done\":true}");
    assertThat(caller.answerTo(call).get("result")).isEqualTo(Json.mapper().readTree("{\"done\":true}"));
    return new String[] {outerParent, innerParent};
  }

  @Test
  void aWorkerHopMakesAParentAndAChildSpanInOneTrace() throws Exception {
    start();
    String[] parents = twoHops(null);
    String trace = traceId(parents[0]);
    assertThat(traceId(parents[1])).isEqualTo(trace);
    assertThat(spanId(parents[1])).isNotEqualTo(spanId(parents[0]));
    assertThat(parents[0]).endsWith("-01"); // sampled at the default ratio 1.0

    await().until(() -> spans(trace).size() == 2);
    JsonNode tree = engineCall("engine::traces::tree", "{\"trace_id\":\"" + trace + "\"}");
    assertThat(tree.get("roots")).hasSize(1);
    JsonNode root = tree.get("roots").get(0);
    assertThat(root.get("name").asText()).isEqualTo("a::outer");
    assertThat(root.get("span_id").asText()).isEqualTo(spanId(parents[0]));
    assertThat(root.get("parent_span_id").isNull()).isTrue();
    assertThat(root.get("status").asText()).isEqualTo("ok");
    assertThat(root.get("service_name").asText()).isEqualTo("iii");
    assertThat(root.get("end_time_unix_nano").asLong()).isGreaterThanOrEqualTo(root.get("start_time_unix_nano").asLong());
    assertThat(attribute(root, "function_id")).isEqualTo("a::outer");
    assertThat(attribute(root, "iii.function.kind")).isEqualTo("user");
    assertThat(attribute(root, "iii.action")).isEqualTo("sync");
    assertThat(attribute(root, "iii.caller.worker_id")).isNotBlank();
    JsonNode child = root.get("children").get(0);
    assertThat(child.get("name").asText()).isEqualTo("b::inner");
    assertThat(child.get("parent_span_id").asText()).isEqualTo(spanId(parents[0]));
    assertThat(child.get("span_id").asText()).isEqualTo(spanId(parents[1]));
    assertThat(child.get("children")).isEmpty();
  }

  @Test
  void anIncomingTraceparentIsTheParent() throws Exception {
    start();
    String[] parents = twoHops(TRACEPARENT);
    assertThat(traceId(parents[0])).isEqualTo(TRACE);
    assertThat(traceId(parents[1])).isEqualTo(TRACE);

    await().until(() -> spans(TRACE).size() == 2);
    JsonNode outer = spans(TRACE).stream().filter(s -> s.get("name").asText().equals("a::outer")).findFirst().orElseThrow();
    assertThat(outer.get("parent_span_id").asText()).isEqualTo(PARENT);
    // its parent is not stored here, so it is the trace's root in the list
    JsonNode roots = engineCall("engine::traces::list", "{\"trace_id\":\"" + TRACE + "\"}");
    assertThat(roots.get("total").asInt()).isEqualTo(1);
    assertThat(roots.get("spans").get(0).get("name").asText()).isEqualTo("a::outer");
  }

  @Test
  void unsampledCallsStoreNothingAndPassTheDecisionOn() throws Exception {
    start("sampling_ratio", "0");
    String[] parents = twoHops(null);
    assertThat(parents[0]).endsWith("-00");
    assertThat(traceId(parents[1])).isEqualTo(traceId(parents[0]));
    // an unsampled parent passes the engine untouched
    assertThat(parents[1]).isEqualTo(parents[0]);
    // a sampled parent is followed even at ratio 0 (parent-based)
    String[] followed = twoHops(TRACEPARENT);
    assertThat(followed[0]).endsWith("-01");

    await().until(() -> spans(TRACE).size() == 2);
    JsonNode all = engineCall("engine::traces::list", "{\"include_internal\":true,\"search_all_spans\":true}");
    assertThat(all.get("total").asInt()).isEqualTo(2); // only the sampled pair
  }

  @Test
  void theSamplingBlocksRulesAndRateLimitDecideNewTraces() throws Exception {
    start("sampling", "{\"rules\":[{\"operation\":\"a::*\",\"rate\":0}],\"rate_limit\":{\"max_traces_per_second\":1000}}");
    assertThat(twoHops(null)[0]).as("a rule drops a::outer's new traces").endsWith("-00");
    TraceWorker c = worker().register("c::kept");
    TraceWorker caller = worker();
    String call = caller.invoke("c::kept", "{}", null, null);
    JsonNode invocation = c.invocation("c::kept");
    assertThat(invocation.path("traceparent").asText()).as("other names: the default, under the limit").endsWith("-01");
    c.answer(invocation, "{}");
    assertThat(caller.answerTo(call).has("error")).isFalse();
    JsonNode rules = engineCall("engine::sampling::rules", "{}").get("traces");
    assertThat(rules.get("rules").get(0).get("operation").asText()).isEqualTo("a::*");
  }

  @Test
  void anUnsampledIncomingParentIsPassedOnUnchanged() throws Exception {
    start();
    String unsampled = "00-" + TRACE + "-" + PARENT + "-00";
    String[] parents = twoHops(unsampled);
    assertThat(parents[0]).isEqualTo(unsampled);
    assertThat(parents[1]).isEqualTo(unsampled);
    Thread.sleep(200);
    assertThat(engineCall("engine::traces::list", "{\"include_internal\":true}").get("total").asInt()).isZero();
  }

  @Test
  void aFailedCallEndsItsSpanInErrorAndACancelledOneToo() throws Exception {
    start();
    TraceWorker a = worker().register("a::fails").register("a::silent");
    TraceWorker caller = worker();
    String id = caller.invoke("a::fails", "{}", TRACEPARENT, null);
    a.fail(a.invocation("a::fails"), "boom", "it broke");
    assertThat(caller.answerTo(id).get("error").get("code").asText()).isEqualTo("boom");

    // the router's deadline cancels the call: the span ends and the worker's slot is freed
    var timedOut = engine.core().invoke(Call.of("a::silent", Json.object()).withTrace(TRACEPARENT, null).withTimeout(100));
    a.invocation("a::silent");
    assertThatThrownBy(() -> timedOut.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(InvocationException.class)
        .hasMessageContaining("timed out");
    await().until(() -> engine.core().pendingInvocations() == 0);

    await().until(() -> spans(TRACE).size() == 2);
    JsonNode failed = spans(TRACE).stream().filter(s -> s.get("name").asText().equals("a::fails")).findFirst().orElseThrow();
    assertThat(failed.get("status").asText()).isEqualTo("error");
    assertThat(failed.get("status_description").asText()).isEqualTo("it broke");
    assertThat(attribute(failed, "iii.error.code")).isEqualTo("boom");
    JsonNode cancelled = spans(TRACE).stream().filter(s -> s.get("name").asText().equals("a::silent")).findFirst().orElseThrow();
    assertThat(cancelled.get("status").asText()).isEqualTo("error");
  }

  @Test
  void builtinsAreTracedOnlyInsideATraceAndTheTraceFunctionsNever() throws Exception {
    start();
    engineCall("state::set", "{\"scope\":\"s\",\"key\":\"k\",\"value\":1}"); // no context: engine plumbing
    engineCall("engine::traces::list", "{}");
    TraceWorker caller = worker();
    caller.answerTo(caller.invoke("state::get", "{\"scope\":\"s\",\"key\":\"k\"}", TRACEPARENT, null));
    caller.answerTo(caller.invoke("engine::traces::list", "{}", TRACEPARENT, null));

    await().until(() -> !spans(TRACE).isEmpty());
    Thread.sleep(100);
    List<JsonNode> all = new ArrayList<>();
    engineCall("engine::traces::list", "{\"include_internal\":true,\"search_all_spans\":true}").get("spans").forEach(all::add);
    assertThat(all).extracting(s -> s.get("name").asText()).containsExactly("state::get");
    assertThat(attribute(all.get(0), "iii.function.kind")).isEqualTo("internal");
    // internal spans are hidden from the list unless asked for
    assertThat(engineCall("engine::traces::list", "{}").get("total").asInt()).isZero();
  }

  @Test
  void stateTriggerDeliveriesJoinTheWritersTrace() throws Exception {
    start();
    TraceWorker handler = worker().register("cache::changed").trigger("t-state", "state", "cache::changed", "{\"scope\":\"links\"}");
    TraceWorker caller = worker();
    caller.answerTo(caller.invoke("state::set", "{\"scope\":\"links\",\"key\":\"iii\",\"value\":1}", TRACEPARENT, null));
    JsonNode delivery = handler.invocation("cache::changed");
    assertThat(traceId(delivery.get("traceparent").asText())).isEqualTo(TRACE);
    handler.answer(delivery, "null");
    await().until(() -> spans(TRACE).size() == 2);
    JsonNode set = engineCall("engine::traces::tree", "{\"trace_id\":\"" + TRACE + "\"}").get("roots").get(0);
    assertThat(set.get("name").asText()).isEqualTo("state::set");
    assertThat(set.get("children").get(0).get("name").asText()).isEqualTo("cache::changed");
  }

  @Test
  void theStoreKeepsTheNewestSpans() throws Exception {
    start("memory_max_spans", "3");
    TraceWorker a = worker().register("a::n");
    TraceWorker caller = worker();
    for (int n = 1; n <= 5; n++) {
      String id = caller.invoke("a::n", "{\"n\":" + n + "}", "00-" + TRACE + "-00000000000000" + String.format("%02x", n) + "-01", null);
      a.answer(a.invocation("a::n"), "null");
      caller.answerTo(id);
    }
    await().until(() -> spans(TRACE).size() == 3);
    Thread.sleep(100);
    assertThat(spans(TRACE)).extracting(s -> s.get("parent_span_id").asText())
        .containsExactly("0000000000000003", "0000000000000004", "0000000000000005");
    assertThat(engineCall("engine::traces::clear", "{}").get("success").asBoolean()).isTrue();
    assertThat(spans(TRACE)).isEmpty();
  }

  @Test
  void theListFiltersSortsAndPages() throws Exception {
    start();
    ingest(otlpFrame("iii-node", TRACE,
        span("0000000000000001", null, "GET /s/:code", 1_000_000_000L, 1_030_000_000L, 1),
        span("0000000000000002", "0000000000000001", "execute http::redirect", 1_001_000_000L, 1_020_000_000L, 1)));
    String other = "11111111111111111111111111111111";
    ingest(otlpFrame("iii-node", other,
        span("0000000000000003", null, "GET /s/:code", 2_000_000_000L, 2_090_000_000L, 2),
        span("0000000000000004", null, "POST /links", 3_000_000_000L, 3_010_000_000L, 0)));

    JsonNode byName = engineCall("engine::traces::list", "{\"name\":\"get /s\",\"sort_by\":\"duration_ms\",\"sort_order\":\"desc\"}");
    assertThat(byName.get("total").asInt()).isEqualTo(2);
    assertThat(byName.get("spans")).extracting(s -> s.get("span_id").asText()).containsExactly("0000000000000003", "0000000000000001");
    assertThat(byName.get("offset").asInt()).isZero();
    assertThat(byName.get("limit").asInt()).isEqualTo(100);

    assertThat(engineCall("engine::traces::list", "{\"status\":\"error\"}").get("spans"))
        .extracting(s -> s.get("span_id").asText()).containsExactly("0000000000000003");
    assertThat(engineCall("engine::traces::list", "{\"min_duration_ms\":50}").get("total").asInt()).isEqualTo(1);
    assertThat(engineCall("engine::traces::list", "{\"max_duration_ms\":10}").get("spans"))
        .extracting(s -> s.get("name").asText()).containsExactly("POST /links");
    assertThat(engineCall("engine::traces::list", "{\"start_time\":1500,\"end_time\":2500}").get("spans"))
        .extracting(s -> s.get("span_id").asText()).containsExactly("0000000000000003");
    assertThat(engineCall("engine::traces::list", "{\"trace_ids\":[\"" + TRACE + "\"]}").get("total").asInt()).isEqualTo(1);
    assertThat(engineCall("engine::traces::list", "{\"name\":\"redirect\",\"search_all_spans\":true}").get("spans"))
        .extracting(s -> s.get("span_id").asText()).contains("0000000000000001", "0000000000000002");
    JsonNode paged = engineCall("engine::traces::list", "{\"offset\":1,\"limit\":1}");
    assertThat(paged.get("total").asInt()).isEqualTo(3);
    assertThat(paged.get("spans")).extracting(s -> s.get("span_id").asText()).containsExactly("0000000000000003");
    assertThat(engineCall("engine::traces::list", "{\"service_name\":\"NODE\"}").get("total").asInt()).isEqualTo(3);
    assertThat(engineCall("engine::traces::list", "{\"service_name\":\"java\"}").get("total").asInt()).isZero();
  }

  @Test
  void nodeOtlpFramesOnOtelAndOnTheWorkerSocketAreStoredAndNest() throws Exception {
    start();
    String otel = engine.workerUrl().replaceAll("/$", "") + "/otel";
    WebSocket socket =
        HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(otel), new WebSocket.Listener() {}).get(5, TimeUnit.SECONDS);
    closing.add(() -> socket.abort());
    byte[] frame = otlpFrame("iii-node", TRACE,
        span("0000000000000001", PARENT, "execute http::redirect", 1_000_000_000L, 1_030_000_000L, 1),
        span("0000000000000002", "0000000000000001", "execute link::resolve", 1_001_000_000L, 1_020_000_000L, 0));
    socket.sendBinary(ByteBuffer.wrap(frame), true).get(5, TimeUnit.SECONDS);
    // the worker socket takes them too (PROTOCOL.md §1.2)
    TraceWorker w = worker();
    w.raw.sendBinary(otlpFrame("iii-node", TRACE, span("0000000000000003", "0000000000000002", "db query", 1_002_000_000L, 1_010_000_000L, 2)));
    await().until(() -> spans(TRACE).size() == 3);

    JsonNode root = engineCall("engine::traces::tree", "{\"trace_id\":\"" + TRACE + "\"}").get("roots");
    assertThat(root).hasSize(1);
    JsonNode redirect = root.get(0);
    assertThat(redirect.get("name").asText()).isEqualTo("execute http::redirect");
    assertThat(redirect.get("parent_span_id").asText()).isEqualTo(PARENT); // not stored here: a root
    assertThat(redirect.get("service_name").asText()).isEqualTo("iii-node");
    assertThat(redirect.get("start_time_unix_nano").asLong()).isEqualTo(1_000_000_000L);
    assertThat(redirect.get("status").asText()).isEqualTo("ok");
    assertThat(redirect.get("instrumentation_scope_name").asText()).isEqualTo("iii-node-sdk");
    assertThat(attribute(redirect, "code")).isEqualTo("iii");
    assertThat(attribute(redirect, "http.status_code")).isEqualTo("302");
    JsonNode resolve = redirect.get("children").get(0);
    assertThat(resolve.get("name").asText()).isEqualTo("execute link::resolve");
    assertThat(resolve.get("status").asText()).isEqualTo("unset");
    JsonNode query = resolve.get("children").get(0);
    assertThat(query.get("status").asText()).isEqualTo("error");
    assertThat(query.get("status_description").asText()).isEqualTo("failed");

    assertThat(engineCall("engine::traces::tree", "{\"trace_id\":\"" + "2".repeat(32) + "\"}").get("roots")).isEmpty();
    // a frame that is not OTLP JSON costs that frame only
    socket.sendBinary(ByteBuffer.wrap("OTLP{not json".getBytes(StandardCharsets.UTF_8)), true).get(5, TimeUnit.SECONDS);
    w.raw.sendBinary(otlpFrame("iii-node", TRACE, span("0000000000000004", "0000000000000002", "later", 1_003_000_000L, 1_004_000_000L, 0)));
    await().until(() -> spans(TRACE).size() == 4);
  }

  @Test
  void withTheOtlpOnlyExporterTheTraceFunctionsSaySo() throws Exception {
    start("exporter", "\"otlp\"", "endpoint", "\"http://127.0.0.1:9/v1/traces\"");
    assertThatThrownBy(() -> engineCall("engine::traces::list", "{}"))
        .cause()
        .isInstanceOf(InvocationException.class)
        .hasMessageContaining("exporter: memory or both");
  }

  // ------------------------------------------------------------------ OTLP JSON as the Node SDK writes it

  private void ingest(byte[] frame) throws Exception {
    TraceWorker w = worker();
    int before = engineCall("engine::traces::list", "{\"include_internal\":true,\"search_all_spans\":true}").get("total").asInt();
    w.raw.sendBinary(frame);
    await().until(() -> engineCall("engine::traces::list", "{\"include_internal\":true,\"search_all_spans\":true}").get("total").asInt() > before);
  }

  static ObjectNode span(String spanId, String parent, String name, long start, long end, int status) {
    ObjectNode span = Json.object();
    span.put("traceId", "");
    span.put("spanId", spanId);
    if (parent != null) {
      span.put("parentSpanId", parent);
    }
    span.put("name", name);
    span.put("kind", 1);
    span.put("startTimeUnixNano", Long.toString(start));
    span.put("endTimeUnixNano", Long.toString(end));
    var attributes = span.putArray("attributes");
    attributes.addObject().put("key", "code").putObject("value").put("stringValue", "iii");
    attributes.addObject().put("key", "http.status_code").putObject("value").put("intValue", 302);
    span.putArray("events");
    span.putArray("links");
    ObjectNode st = span.putObject("status").put("code", status);
    if (status == 2) {
      st.put("message", "failed");
    }
    return span;
  }

  static byte[] otlpFrame(String service, String traceId, ObjectNode... spans) {
    ObjectNode request = Json.object();
    ObjectNode resourceSpans = request.putArray("resourceSpans").addObject();
    resourceSpans.putObject("resource").putArray("attributes").addObject().put("key", "service.name").putObject("value").put("stringValue", service);
    ObjectNode scope = resourceSpans.putArray("scopeSpans").addObject();
    scope.putObject("scope").put("name", "iii-node-sdk").put("version", "0.22.1");
    var list = scope.putArray("spans");
    for (ObjectNode s : spans) {
      list.add(s.deepCopy().put("traceId", traceId));
    }
    return ("OTLP" + Json.write(request)).getBytes(StandardCharsets.UTF_8);
  }
}
