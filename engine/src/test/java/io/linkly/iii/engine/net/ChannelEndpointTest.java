package io.linkly.iii.engine.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.channels.ChannelRef;
import io.linkly.iii.engine.channels.DataChannel;
import io.linkly.iii.engine.config.EngineConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code /ws/channels/<id>?key=&dir=} on the worker listener, as a raw WebSocket client sees it (PROTOCOL.md §7.2). */
class ChannelEndpointTest {

  private final HttpClient http = HttpClient.newHttpClient();
  private IiiEngine engine;

  @BeforeEach
  void start() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral());
  }

  @AfterEach
  void stop() {
    engine.close();
  }

  private String base() {
    return "127.0.0.1:" + engine.workerPort();
  }

  private int statusOf(String pathAndQuery) throws Exception {
    try {
      http.newWebSocketBuilder().buildAsync(URI.create("ws://" + base() + pathAndQuery), new WebSocket.Listener() {}).get(10, TimeUnit.SECONDS);
      return 101;
    } catch (ExecutionException e) {
      return ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode();
    }
  }

  @Test
  void aMissingKeyOrDirectionIs400AndAnUnknownChannelOrWrongKey404() throws Exception {
    DataChannel channel = engine.channels().create(4);
    String key = channel.ref(ChannelRef.Direction.READ).accessKey();
    assertThat(statusOf("/ws/channels/" + channel.id() + "?dir=read")).isEqualTo(400);
    assertThat(statusOf("/ws/channels/" + channel.id() + "?key=" + key + "&dir=sideways")).isEqualTo(400);
    assertThat(statusOf("/ws/channels/" + channel.id() + "?key=wrong&dir=read")).isEqualTo(404);
    assertThat(statusOf("/ws/channels/no-such-channel?key=" + key + "&dir=read")).isEqualTo(404);
    HttpResponse<String> plain =
        http.send(HttpRequest.newBuilder(URI.create("http://" + base() + "/ws/channels/" + channel.id() + "?key=" + key + "&dir=read")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(plain.statusCode()).as("not a WebSocket upgrade").isEqualTo(404);
  }

  @Test
  void anEndAttachesOnceASecondSocketIsClosedAtOnce() throws Exception {
    DataChannel channel = engine.channels().create(4);
    String uri = "ws://" + base() + "/ws/channels/" + channel.id() + "?key=" + channel.ref(ChannelRef.Direction.READ).accessKey() + "&dir=read";
    CompletableFuture<Integer> firstClosed = new CompletableFuture<>();
    CompletableFuture<Integer> secondClosed = new CompletableFuture<>();
    WebSocket first = http.newWebSocketBuilder().buildAsync(URI.create(uri), closeListener(firstClosed)).get(10, TimeUnit.SECONDS);
    WebSocket second = http.newWebSocketBuilder().buildAsync(URI.create(uri), closeListener(secondClosed)).get(10, TimeUnit.SECONDS);
    // the engine attaches an end once its upgrade response is out, so the socket whose handshake
    // completed first for the client is not always the one attached first: one of them is closed
    Object closed = CompletableFuture.anyOf(firstClosed, secondClosed).get(10, TimeUnit.SECONDS);
    assertThat(closed).isEqualTo(1000);
    assertThat(firstClosed.isDone() && secondClosed.isDone()).as("the reader attached first stays attached").isFalse();
    first.abort();
    second.abort();
  }

  private static WebSocket.Listener closeListener(CompletableFuture<Integer> closed) {
    return new WebSocket.Listener() {
      @Override
      public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
      }
    };
  }
}
