package io.linkly.app.watch;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.Linkly;
import io.linkly.app.clickstreamer.ClickStreamer;
import io.linkly.app.link.LinkStore;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.iii.sdk.WorkerOptions;
import io.linkly.iii.protocol.Json;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * {@code ./linkly watch}: a terminal dashboard. It joins stream {@code clicks} / group {@code all}
 * on the stream port, prints the total, then one line per click with a running total. When the
 * connection drops it reconnects and rejoins with the last sequence number it saw, so the engine
 * sends exactly the clicks it missed; after an engine restart it gets a resync snapshot and counts
 * the clicks it had not seen yet.
 *
 * <p>The stream keeps only the newest clicks, so the total starts from the database: the number of
 * click rows and the highest row id when the watch first syncs. From then on a streamed click
 * counts when its row id is above that id (or, carrying no row id, when it was not seen before).
 */
public final class ClickWatch implements AutoCloseable {

  /** The clicks recorded so far, and the highest row id among them. */
  public record Baseline(long clicks, long lastClickId) {}

  private final URI url;
  private final Supplier<Baseline> baseline;
  private final PrintStream out;
  private final HttpClient http = HttpClient.newHttpClient();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Set<String> seen = new HashSet<>();
  private volatile WebSocket socket;
  private long lastSeq = -1;
  private String epoch;
  private long total;
  private long lastCountedId = -1;
  private boolean synced;

  /** {@code baseline} answers where the count starts; null from it means "unknown", and then the stream's items are the count. */
  public ClickWatch(URI url, Supplier<Baseline> baseline, PrintStream out) {
    this.url = url;
    this.baseline = baseline;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    // the same variables that move Linkly's ports move the watch's defaults
    String url = "ws://127.0.0.1:" + System.getenv().getOrDefault("LINKLY_STREAM_PORT", "3112") + "/";
    String engine = Linkly.engineUrlFromEnv();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--url") && i + 1 < args.length) {
        url = args[++i];
      } else if (args[i].equals("--engine") && i + 1 < args.length) {
        engine = args[++i];
      } else {
        System.err.println("usage: linkly watch [--url ws://127.0.0.1:3112/] [--engine ws://127.0.0.1:49134]");
        System.exit(2);
      }
    }
    ClickWatch watch = new ClickWatch(URI.create(url), databaseBaseline(engine), System.out);
    Runtime.getRuntime().addShutdownHook(new Thread(watch::close, "watch-shutdown"));
    watch.run();
  }

  /** Connects, and reconnects whenever the connection ends, until {@link #close}. */
  public void run() throws InterruptedException {
    Duration pause = Duration.ofMillis(200);
    while (running.get()) {
      CompletableFuture<Void> ended = new CompletableFuture<>();
      try {
        socket = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5)).buildAsync(url, new Listener(ended)).join();
        socket.sendText(joinMessage(), true).join();
        pause = Duration.ofMillis(200);
        ended.join();
      } catch (RuntimeException e) {
        // the engine is not there (yet); try again
      }
      if (running.get()) {
        synchronized (this) {
          status("connection lost; reconnecting");
        }
        Thread.sleep(pause.toMillis());
        pause = pause.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : pause.multipliedBy(2);
      }
    }
  }

  /** Asks Linkly's database through the engine at {@code engineUrl}; null when it cannot. */
  public static Supplier<Baseline> databaseBaseline(String engineUrl) {
    return () -> {
      try (Iii iii = Iii.registerWorker(engineUrl, WorkerOptions.builder().workerName("linkly-watch").build())) {
        JsonNode row = iii.trigger(TriggerRequest.of("database::query",
                Map.of("db", LinkStore.DB, "sql", "SELECT COUNT(*) AS clicks, COALESCE(MAX(id), 0) AS last FROM clicks")))
            .path("rows").path(0);
        return new Baseline(row.path("clicks").asLong(), row.path("last").asLong());
      } catch (RuntimeException e) {
        return null;
      }
    };
  }

  private synchronized String joinMessage() {
    StringBuilder join = new StringBuilder("{\"type\":\"join\",\"data\":{\"subscriptionId\":\"linkly-watch\",\"streamName\":\"")
        .append(ClickStreamer.STREAM).append("\",\"groupId\":\"").append(ClickStreamer.GROUP).append('"');
    if (epoch != null) {
      join.append(",\"lastSeq\":").append(lastSeq).append(",\"epoch\":\"").append(epoch).append('"');
    }
    return join.append("}}").toString();
  }

  /** Handles one frame from the stream port; synchronized because the listener runs on its own threads. */
  synchronized void onFrame(JsonNode frame) {
    JsonNode event = frame.path("event");
    String kind = event.path("type").asText();
    if (frame.has("seq")) {
      lastSeq = frame.get("seq").asLong();
      epoch = frame.path("epoch").asText(null);
    }
    switch (kind) {
      case "sync", "resync" -> {
        if (!synced) {
          Baseline base = baseline.get();
          if (base != null) {
            total = base.clicks();
            lastCountedId = base.lastClickId();
          }
        }
        int fresh = 0;
        for (JsonNode click : event.path("data")) {
          if (isNew(click)) {
            fresh++;
            if (synced) {
              print(click);
            } else {
              total++;
            }
          }
        }
        if (!synced) {
          synced = true;
          out.println("clicks so far: " + total);
        } else if (fresh > 0 || kind.equals("resync")) {
          status("resynced: " + total + " clicks");
        }
      }
      case "create" -> {
        JsonNode click = event.path("data");
        if (isNew(click) || (!click.has("click_id") && !frame.path("id").isNull())) {
          print(click);
        }
      }
      default -> {}
    }
    out.flush();
  }

  /** True the first time a click is seen, unless its row was already in the database's count. */
  private boolean isNew(JsonNode click) {
    if (!seen.add(key(click))) {
      return false;
    }
    long id = click.path("click_id").asLong(-1); // a text or a number; -1 when absent
    return id < 0 || id > lastCountedId;
  }

  private void print(JsonNode click) {
    total++;
    out.printf("%-24s %-28s total %d%n", click.path("code").asText(), click.path("clicked_at").asText(), total);
  }

  private void status(String text) {
    out.println("-- " + text);
    out.flush();
  }

  /** Clicks are told apart by their content plus arrival; the snapshot carries no item ids. */
  private static String key(JsonNode click) {
    return Json.write(click) + "#" + click.path("click_id").asText("");
  }

  public synchronized long total() {
    return total;
  }

  @Override
  public void close() {
    running.set(false);
    WebSocket ws = socket;
    if (ws != null) {
      ws.abort();
    }
  }

  private final class Listener implements WebSocket.Listener {
    private final CompletableFuture<Void> ended;
    private final StringBuilder text = new StringBuilder();

    Listener(CompletableFuture<Void> ended) {
      this.ended = ended;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        try {
          onFrame(Json.mapper().readTree(text.toString()));
        } catch (Exception e) {
          // not a stream frame; ignore it
        }
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      ended.complete(null);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      ended.complete(null);
    }
  }
}
