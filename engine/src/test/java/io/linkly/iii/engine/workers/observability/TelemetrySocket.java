package io.linkly.iii.engine.workers.observability;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** An SDK's {@code /otel} socket: binary frames of a 4-byte prefix and OTLP JSON. No engine code. */
final class TelemetrySocket implements AutoCloseable {

  private final WebSocket socket;

  private TelemetrySocket(WebSocket socket) {
    this.socket = socket;
  }

  /** {@code workerUrl} like {@code ws://127.0.0.1:1234}. */
  static TelemetrySocket open(String workerUrl) throws Exception {
    WebSocket socket =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .buildAsync(URI.create(workerUrl + "/otel"), new WebSocket.Listener() {})
            .get(5, TimeUnit.SECONDS);
    return new TelemetrySocket(socket);
  }

  void send(String prefix, String json) {
    socket.sendBinary(ByteBuffer.wrap((prefix + json).getBytes(StandardCharsets.UTF_8)), true).join();
  }

  @Override
  public void close() {
    socket.abort();
  }
}
