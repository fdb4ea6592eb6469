package io.linkly.iii.engine.workers.observability.tracing;

import static io.linkly.iii.engine.workers.observability.tracing.TraceWorker.traceId;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.workers.observability.ObservabilityWorker;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Linkly's redirect, played by raw workers as its workers would: {@code GET /s/:code} →
 * {@code http::redirect} → {@code link::resolve}, the enqueue of {@code link::record_click} →
 * its queue delivery → {@code publish link.clicked} → {@code click-streamer::broadcast} →
 * {@code stream::set} → the {@code ui::on_click} stream trigger. Each worker makes its calls with
 * the {@code traceparent} of the call it serves, as the SDKs do.
 */
final class ClickPath implements AutoCloseable {

  final IiiEngine engine;
  private final List<TraceWorker> workers = new ArrayList<>();
  private final TraceWorker redirect;
  private final TraceWorker links;
  private final TraceWorker analytics;
  private final TraceWorker streamer;
  private final TraceWorker ui;
  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  /** The traceparent each hop arrived with, in path order. */
  final List<String> hops = new ArrayList<>();

  ClickPath(Path dir, ObjectNode observability) throws Exception {
    EngineConfig config = EngineConfig.ephemeral();
    for (var field : (Iterable<java.util.Map.Entry<String, JsonNode>>) observability::fields) {
      config = config.withSetting(ObservabilityWorker.NAME, field.getKey(), field.getValue());
    }
    ObjectNode queue = Json.object();
    queue.putObject("adapter").put("name", "builtin").putObject("config").put("store_method", "in_memory").put("file_path", dir.resolve("queue").toString());
    queue.putObject("queue_configs").putObject("clicks").put("max_retries", 1).put("backoff_ms", 10);
    config = config.with("iii-queue", queue);
    // the file store commits in groups on its own thread: the trigger's context must travel with the write
    ObjectNode adapter = Json.object().put("name", "kv");
    adapter.putObject("config").put("store_method", "file_based").put("file_path", dir.resolve("streams").toString());
    config = config.withSetting("iii-stream", "adapter", adapter);
    engine = IiiEngine.start(config);
    redirect = add().register("http::redirect").trigger("t-http", "http", "http::redirect", "{\"api_path\":\"s/:code\",\"http_method\":\"GET\"}");
    links = add().register("link::resolve");
    analytics = add().register("link::record_click");
    streamer = add().register("click-streamer::broadcast").trigger("t-sub", "subscribe", "click-streamer::broadcast", "{\"topic\":\"link.clicked\"}");
    ui = add().register("ui::on_click").trigger("t-stream", "stream", "ui::on_click", "{\"stream_name\":\"clicks\"}");
  }

  private TraceWorker add() throws Exception {
    TraceWorker w = TraceWorker.connect(engine);
    workers.add(w);
    return w;
  }

  /** One click; {@code traceparent} is the client's header (null: none). Returns the trace id every hop carried. */
  String click(String code, String traceparent) throws Exception {
    hops.clear();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + engine.port("iii-http").orElseThrow() + "/s/" + code)).timeout(Duration.ofSeconds(10));
    if (traceparent != null) {
      request.header("traceparent", traceparent);
    }
    var response = http.sendAsync(request.GET().build(), HttpResponse.BodyHandlers.ofString());

    JsonNode served = redirect.invocation("http::redirect");
    String context = hop(served);
    String resolving = redirect.invoke("link::resolve", "{\"code\":\"" + code + "\"}", context, null);
    JsonNode resolve = links.invocation("link::resolve");
    hop(resolve);
    links.answer(resolve, "{\"url\":\"https://iii.dev\"}");
    assertThat(redirect.answerTo(resolving).get("result").get("url").asText()).isEqualTo("https://iii.dev");
    String enqueued = redirect.invoke("link::record_click", "{\"code\":\"" + code + "\"}", context, "{\"type\":\"enqueue\",\"queue\":\"clicks\"}");
    assertThat(redirect.answerTo(enqueued).get("result").has("messageReceiptId")).isTrue();
    redirect.answer(served, "{\"status_code\":302,\"headers\":{\"location\":\"https://iii.dev\"}}");
    assertThat(response.get().statusCode()).isEqualTo(302);

    JsonNode record = analytics.invocation("link::record_click");
    String published = analytics.invoke("publish", "{\"topic\":\"link.clicked\",\"data\":{\"code\":\"" + code + "\"}}", hop(record), null);
    assertThat(analytics.answerTo(published).has("error")).isFalse();
    analytics.answer(record, "null");

    JsonNode broadcast = streamer.invocation("click-streamer::broadcast");
    String set =
        streamer.invoke("stream::set", "{\"stream_name\":\"clicks\",\"group_id\":\"all\",\"item_id\":\"" + code + "\",\"data\":{\"n\":1}}", hop(broadcast), null);
    assertThat(streamer.answerTo(set).has("error")).isFalse();
    streamer.answer(broadcast, "null");

    JsonNode onClick = ui.invocation("ui::on_click");
    hop(onClick);
    ui.answer(onClick, "null");

    String trace = traceId(hops.get(0));
    assertThat(hops).as("every hop of the click carries one trace id").allSatisfy(h -> assertThat(traceId(h)).isEqualTo(trace));
    return trace;
  }

  private String hop(JsonNode invocation) {
    String traceparent = invocation.path("traceparent").asText(null);
    assertThat(traceparent).as("%s arrived without a traceparent", invocation.get("function_id")).isNotNull();
    hops.add(traceparent);
    return traceparent;
  }

  @Override
  public void close() {
    workers.forEach(TraceWorker::close);
    engine.close();
  }
}
