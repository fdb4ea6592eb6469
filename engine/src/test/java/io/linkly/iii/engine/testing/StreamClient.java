package io.linkly.iii.engine.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A raw client of the stream port (3112), sharing no code with the engine. It records every frame.
 */
public final class StreamClient implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final WebSocket socket;
  private final List<JsonNode> frames = new ArrayList<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();

  private StreamClient(String url) throws Exception {
    socket = HTTP.newWebSocketBuilder().buildAsync(URI.create(url), new Listener()).get(10, TimeUnit.SECONDS);
  }

  public static StreamClient connect(String url) throws Exception {
    return new StreamClient(url);
  }

  public StreamClient send(String json) {
    socket.sendText(json, true).join();
    return this;
  }

  public StreamClient join(String subscription, String stream, String group) {
    return send("{\"type\":\"join\",\"data\":{\"subscriptionId\":\"" + subscription + "\",\"streamName\":\"" + stream
        + "\",\"groupId\":\"" + group + "\"}}");
  }

  public StreamClient resume(String subscription, String stream, String group, long lastSeq, String epoch) {
    return send("{\"type\":\"join\",\"data\":{\"subscriptionId\":\"" + subscription + "\",\"streamName\":\"" + stream
        + "\",\"groupId\":\"" + group + "\",\"lastSeq\":" + lastSeq + ",\"epoch\":\"" + epoch + "\"}}");
  }

  public List<JsonNode> frames() {
    synchronized (frames) {
      return List.copyOf(frames);
    }
  }

  /** Frames whose {@code event.type} is {@code kind}. */
  public List<JsonNode> events(String kind) {
    return frames().stream().filter(f -> kind.equals(f.path("event").path("type").asText())).toList();
  }

  public CompletableFuture<Integer> closed() {
    return closed;
  }

  @Override
  public void close() {
    socket.abort();
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        try {
          JsonNode frame = Json.mapper().readTree(text.toString());
          synchronized (frames) {
            frames.add(frame);
          }
        } catch (Exception e) {
          throw new IllegalStateException("not JSON: " + text, e);
        }
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete(-1);
    }
  }

  public static Duration patience() {
    return Duration.ofSeconds(20);
  }
}
