package io.linkly.iii.engine.workers.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A handler's end of a data channel, attached over {@code /ws/channels/<id>?key=&dir=} with the JDK's
 * WebSocket client as an SDK would: a reader that hashes (and optionally keeps) what it is sent,
 * optionally taking it slowly, or a writer. Shares no code with the engine.
 */
final class ChannelEnd implements WebSocket.Listener {

  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private final MessageDigest digest;
  private final ByteArrayOutputStream kept;
  private final long pauseEveryParts;
  private final List<String> texts = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private volatile long bytes;
  private long parts;
  private WebSocket socket;

  private ChannelEnd(boolean keep, long pauseEveryParts) {
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    this.kept = keep ? new ByteArrayOutputStream() : null;
    this.pauseEveryParts = pauseEveryParts;
  }

  static String url(String workerUrl, JsonNode ref) {
    return workerUrl + "/ws/channels/" + ref.get("channel_id").asText() + "?key=" + ref.get("access_key").asText()
        + "&dir=" + ref.get("direction").asText();
  }

  /** Reads the channel {@code ref} names, keeping the bytes; {@link #closed()} completes at end of stream. */
  static ChannelEnd reader(String workerUrl, JsonNode ref) {
    return attach(workerUrl, ref, new ChannelEnd(true, 0));
  }

  /** Reads without keeping the bytes (only their hash), waiting 1 ms after every {@code pauseEveryParts} parts. */
  static ChannelEnd slowReader(String workerUrl, JsonNode ref, long pauseEveryParts) {
    return attach(workerUrl, ref, new ChannelEnd(false, pauseEveryParts));
  }

  /** The writing end of {@code ref}; it also hears when the engine closes it. */
  static ChannelEnd writer(String workerUrl, JsonNode ref) {
    return attach(workerUrl, ref, new ChannelEnd(false, 0));
  }

  private static ChannelEnd attach(String workerUrl, JsonNode ref, ChannelEnd end) {
    end.socket = CLIENT.newWebSocketBuilder().buildAsync(URI.create(url(workerUrl, ref)), end).orTimeout(10, TimeUnit.SECONDS).join();
    return end;
  }

  // ------------------------------------------------------------------ writing

  ChannelEnd text(String message) {
    socket.sendText(message, true).orTimeout(30, TimeUnit.SECONDS).join();
    return this;
  }

  ChannelEnd binary(byte[] data) {
    socket.sendBinary(ByteBuffer.wrap(data), true).orTimeout(30, TimeUnit.SECONDS).join();
    return this;
  }

  ChannelEnd binary(String data) {
    return binary(data.getBytes(StandardCharsets.UTF_8));
  }

  /** Ends the stream as the SDK's {@code stream.end()} does. */
  void end() {
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "stream_complete").orTimeout(10, TimeUnit.SECONDS).join();
  }

  // ------------------------------------------------------------------ reading

  /** Completes with the close code once the engine closed this end (end of stream, or cut off). */
  CompletableFuture<Integer> closed() {
    return closed;
  }

  byte[] bytes() {
    return kept.toByteArray();
  }

  String text() {
    return kept.toString(StandardCharsets.UTF_8);
  }

  long length() {
    return bytes;
  }

  List<String> texts() {
    return texts;
  }

  String sha256() {
    synchronized (digest) {
      return HexFormat.of().formatHex(digest.digest());
    }
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    int n = data.remaining();
    synchronized (digest) {
      if (kept != null) {
        byte[] copy = new byte[n];
        data.duplicate().get(copy);
        kept.write(copy, 0, n);
      }
      digest.update(data);
    }
    bytes += n;
    parts++;
    if (pauseEveryParts > 0 && parts % pauseEveryParts == 0) {
      CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS).execute(() -> webSocket.request(1));
    } else {
      webSocket.request(1);
    }
    return null;
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    texts.add(data.toString());
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closed.complete(statusCode);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closed.complete(-1);
  }
}
