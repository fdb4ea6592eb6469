package io.linkly.iii.engine.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A bare WebSocket peer for protocol tests: sends raw text, records every frame the engine sends.
 * It deliberately shares no code with the engine or the SDK.
 */
public final class RawWorker implements AutoCloseable {

  private final WebSocket socket;
  private final BlockingQueue<JsonNode> inbox = new LinkedBlockingQueue<>();
  private final List<JsonNode> seen = new ArrayList<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final BlockingQueue<ByteBuffer> pongs = new LinkedBlockingQueue<>();
  private final JsonNode registered;

  private RawWorker(String url) throws Exception {
    socket =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .buildAsync(URI.create(url), new Listener())
            .get(5, TimeUnit.SECONDS);
    registered = next(m -> true);
  }

  public static RawWorker connect(String url) throws Exception {
    return new RawWorker(url);
  }

  /** The engine's first frame, {@code workerregistered}. */
  public JsonNode registered() {
    return registered;
  }

  public String workerId() {
    return registered.get("worker_id").asText();
  }

  public RawWorker send(String json) {
    socket.sendText(json, true).join();
    return this;
  }

  /**
   * Sends {@code invokefunction} with a fresh invocation id ({@code action} may be null: a
   * synchronous call) and returns the id without waiting.
   */
  public String invoke(String function, JsonNode data, JsonNode action) {
    String id = java.util.UUID.randomUUID().toString();
    com.fasterxml.jackson.databind.node.ObjectNode frame =
        Json.object().put("type", "invokefunction").put("invocation_id", id).put("function_id", function);
    frame.set("data", data);
    if (action != null) {
      frame.set("action", action);
    }
    send(Json.write(frame));
    return id;
  }

  /** Waits for the {@code invocationresult} of {@code invocationId}; fails the test without one. */
  public JsonNode answer(String invocationId) throws InterruptedException {
    JsonNode answer = next(m -> invocationId.equals(m.path("invocation_id").asText()), Duration.ofSeconds(30));
    if (answer == null) {
      throw new AssertionError("no invocationresult for " + invocationId);
    }
    return answer;
  }

  /** A synchronous call: the engine's whole {@code invocationresult} frame. */
  public JsonNode call(String function, JsonNode data) throws InterruptedException {
    return answer(invoke(function, data, null));
  }

  /** As {@link #call(String, JsonNode)}, with the payload given as JSON text. */
  public JsonNode call(String function, String data) throws InterruptedException {
    try {
      return call(function, Json.mapper().readTree(data));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + data, e);
    }
  }

  /** A payload from alternating keys and values; values become JSON (lists, maps, numbers…). */
  public static com.fasterxml.jackson.databind.node.ObjectNode payload(Object... keysAndValues) {
    com.fasterxml.jackson.databind.node.ObjectNode out = Json.object();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      out.set((String) keysAndValues[i], Json.toTree(keysAndValues[i + 1]));
    }
    return out;
  }

  public RawWorker sendBinary(byte[] bytes) {
    socket.sendBinary(ByteBuffer.wrap(bytes), true).join();
    return this;
  }

  public ByteBuffer ping(byte[] payload) throws InterruptedException {
    socket.sendPing(ByteBuffer.wrap(payload)).join();
    return pongs.poll(5, TimeUnit.SECONDS);
  }

  /** Waits for the next frame matching {@code filter}; earlier non-matching frames stay seen. */
  public JsonNode next(Predicate<JsonNode> filter) throws InterruptedException {
    return next(filter, Duration.ofSeconds(5));
  }

  public JsonNode next(Predicate<JsonNode> filter, Duration timeout) throws InterruptedException {
    synchronized (seen) {
      for (int i = 0; i < seen.size(); i++) {
        if (filter.test(seen.get(i))) {
          return seen.remove(i);
        }
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      JsonNode m = left <= 0 ? null : inbox.poll(left, TimeUnit.NANOSECONDS);
      if (m == null) {
        return null;
      }
      if (filter.test(m)) {
        return m;
      }
      synchronized (seen) {
        seen.add(m);
      }
    }
  }

  public JsonNode next(String type) throws InterruptedException {
    return next(type, Duration.ofSeconds(5));
  }

  public JsonNode next(String type, Duration timeout) throws InterruptedException {
    return next(m -> type.equals(m.path("type").asText()), timeout);
  }

  /** Frames received so far that no {@link #next} call consumed, plus any within {@code wait}. */
  public List<JsonNode> drain(Duration wait) throws InterruptedException {
    Thread.sleep(wait.toMillis());
    List<JsonNode> out;
    synchronized (seen) {
      out = new ArrayList<>(seen);
      seen.clear();
    }
    inbox.drainTo(out);
    return out;
  }

  public boolean isOpen() {
    return !closed.isDone() && !socket.isOutputClosed();
  }

  public CompletableFuture<Integer> closed() {
    return closed;
  }

  /** Drops the TCP connection without a close handshake, as a killed process would. */
  public void abort() {
    socket.abort();
  }

  @Override
  public void close() {
    if (!socket.isOutputClosed()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(e -> null);
    }
    socket.abort();
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        try {
          inbox.add(Json.mapper().readTree(text.toString()));
        } catch (Exception e) {
          inbox.add(Json.object().put("type", "unparseable").put("text", text.toString()));
        }
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
      pongs.add(message);
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
}
