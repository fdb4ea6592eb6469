package io.linkly.iii.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The dashboards of the click benchmark (bench/scripts/clicks.sh): {@code subscribers} sockets on
 * Linkly's stream {@code clicks} / group {@code all}. All but one count their frames without
 * parsing them ({@link WsSubscribers}); one parses every {@code create} and records two lags in
 * milliseconds: redirect → subscriber (its arrival here minus the click's {@code clicked_at}) and
 * redirect → row ({@code recorded_at}, stamped when the click's row committed, minus
 * {@code clicked_at}). Both clocks are this machine's. Prints a status line every second and the
 * summary when stopped (SIGTERM).
 *
 * <p>Usage: ClickFeedBench host port subscribers
 */
public final class ClickFeedBench {

  private final Histogram feedLagMs = new Histogram(3_600_000L, 3);
  private final Histogram rowLagMs = new Histogram(3_600_000L, 3);
  private final AtomicLong creates = new AtomicLong();
  private final AtomicLong unparsable = new AtomicLong();

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int subscribers = Integer.parseInt(args[2]);
    Loopback.require("ws://" + host + ":" + port);
    ClickFeedBench bench = new ClickFeedBench();
    LatencySink sink = new LatencySink();
    WsSubscribers counting = new WsSubscribers(1, sink);
    int joined = counting.connect(host, port, subscribers - 1, "clicks", "all", Duration.ofSeconds(60));
    WebSocket parsing = bench.join(host, port);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println(bench.summary(sink.count(), subscribers - 1));
      System.out.flush();
      parsing.abort();
    }, "click-feed-summary"));
    System.out.println("click-feed ready: " + (joined + 1) + " of " + subscribers + " subscribers joined");
    while (true) {
      Thread.sleep(1000);
      System.out.println("click-feed creates=" + bench.creates.get() + " counted_frames=" + sink.count() + " open=" + (counting.open() + 1)
          + " unexpected_closes=" + counting.unexpectedCloses());
    }
  }

  private WebSocket join(String host, int port) {
    WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
        .buildAsync(URI.create("ws://" + host + ":" + port + "/"), new Parser()).join();
    ws.sendText("{\"type\":\"join\",\"data\":{\"subscriptionId\":\"lag\",\"streamName\":\"clicks\",\"groupId\":\"all\"}}", true).join();
    return ws;
  }

  private synchronized void created(JsonNode data) {
    long now = System.currentTimeMillis();
    long clicked = Instant.parse(data.path("clicked_at").asText()).toEpochMilli();
    feedLagMs.recordValue(Math.max(0, Math.min(3_600_000L, now - clicked)));
    String recordedAt = data.path("recorded_at").asText(null);
    if (recordedAt != null) {
      rowLagMs.recordValue(Math.max(0, Math.min(3_600_000L, Instant.parse(recordedAt).toEpochMilli() - clicked)));
    }
    creates.incrementAndGet();
  }

  private synchronized String summary(long countedFrames, int countingSubscribers) {
    return "click-feed summary: creates=" + creates.get() + " counted_frames=" + countedFrames + " (expected "
        + countingSubscribers + " x creates = " + (countingSubscribers * creates.get()) + ")"
        + " unparsable=" + unparsable.get()
        + "\n   redirect->subscriber lag ms: p50 " + feedLagMs.getValueAtPercentile(50) + ", p99 " + feedLagMs.getValueAtPercentile(99)
        + ", max " + feedLagMs.getMaxValue()
        + "\n   redirect->row lag ms:        p50 " + rowLagMs.getValueAtPercentile(50) + ", p99 " + rowLagMs.getValueAtPercentile(99)
        + ", max " + rowLagMs.getMaxValue() + " (" + rowLagMs.getTotalCount() + " rows stamped)";
  }

  private final class Parser implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        try {
          JsonNode frame = Json.mapper().readTree(text.toString());
          if ("create".equals(frame.path("event").path("type").asText())) {
            created(frame.path("event").path("data"));
          }
        } catch (Exception e) {
          unparsable.incrementAndGet();
        }
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }
  }
}
