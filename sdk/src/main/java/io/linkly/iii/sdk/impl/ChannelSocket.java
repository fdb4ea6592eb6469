package io.linkly.iii.sdk.impl;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One WebSocket of a data channel end ({@code /ws/channels/<id>?key=&dir=}), on the JDK's client:
 * frames are asked for one at a time, so a reader that does not read stops the socket being read
 * (and the engine holds the writer back), and a send completes only once the socket took it.
 */
public final class ChannelSocket {

  /** What the socket reports; each frame method says whether to ask for the next frame now. */
  public interface Events {
    boolean binary(ByteBuffer frame);

    boolean text(String message);

    void closed(int code, String reason);

    void failed(Throwable error);
  }

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** Text frames are messages, held whole: the engine's own limit on a message (64 MiB of bytes). */
  private static final int MAX_TEXT_CHARS = 64 * 1024 * 1024;
  /**
   * Connecting is retried while nothing has been sent: a refused or dropped handshake loses
   * nothing. Once frames went out, a broken connection is an error, never a silent resend (an end
   * attaches once, so a second socket could not continue the stream anyway).
   */
  private static final int CONNECT_ATTEMPTS = 3;

  private static final class Shared {
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
  }

  private final WebSocket socket;

  private ChannelSocket(WebSocket socket) {
    this.socket = socket;
  }

  /** Opens the socket; a 404 (unknown channel, wrong key, end expired) fails at once. */
  public static ChannelSocket connect(URI uri, Events events) throws IOException {
    IOException last = null;
    for (int attempt = 1; attempt <= CONNECT_ATTEMPTS; attempt++) {
      try {
        WebSocket ws =
            Shared.CLIENT
                .newWebSocketBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .buildAsync(uri, new Listener(events))
                .get(CONNECT_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
        return new ChannelSocket(ws);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof WebSocketHandshakeException refused) {
          int status = refused.getResponse().statusCode();
          throw new IOException(
              status == 404
                  ? "no such channel end (unknown id or key, expired, or already used)"
                  : "the engine refused the channel connection with HTTP " + status);
        }
        last = new IOException("cannot connect the channel: " + e.getCause(), e.getCause());
      } catch (TimeoutException e) {
        last = new IOException("cannot connect the channel: no answer within " + CONNECT_TIMEOUT.multipliedBy(2).toSeconds() + " s");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while connecting the channel");
      }
      pause(attempt);
    }
    throw last;
  }

  private static void pause(int attempt) throws IOException {
    try {
      Thread.sleep(100L << attempt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while connecting the channel");
    }
  }

  /** Asks for the next frame (after a frame method returned false). */
  public void request() {
    socket.request(1);
  }

  /** Sends one frame and waits until the socket took it (which is how the engine holds us back). */
  public void sendBinary(ByteBuffer frame) throws IOException {
    await(socket.sendBinary(frame, true));
  }

  public void sendText(String message) throws IOException {
    await(socket.sendText(message, true));
  }

  /** Sends a Close frame and waits (briefly) for it to leave; the engine answers and closes. */
  public void close(int code, String reason) {
    if (socket.isOutputClosed()) {
      return;
    }
    try {
      socket.sendClose(code, reason).get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      socket.abort();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      socket.abort();
    }
  }

  public void abort() {
    socket.abort();
  }

  private static void await(CompletableFuture<WebSocket> send) throws IOException {
    try {
      send.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof IOException io ? io : new IOException("the channel connection failed: " + cause, cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while writing to the channel");
    }
  }

  /**
   * Hands binary data over part by part (a byte stream needs no message boundaries, so a huge
   * message never has to fit in memory) and reassembles text messages up to {@link
   * #MAX_TEXT_CHARS}; asks for more only when the end has room.
   */
  private static final class Listener implements WebSocket.Listener {
    private final Events events;
    private StringBuilder partialText;

    Listener(Events events) {
      this.events = events;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      ByteBuffer copy = ByteBuffer.allocate(data.remaining());
      copy.put(data).flip();
      if (events.binary(copy)) {
        webSocket.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      if (!last) {
        (partialText == null ? partialText = new StringBuilder() : partialText).append(data);
        if (partialText.length() > MAX_TEXT_CHARS) {
          partialText = null;
          events.failed(new IOException("a channel message is longer than " + MAX_TEXT_CHARS + " characters"));
          webSocket.abort();
          return null;
        }
        webSocket.request(1);
        return null;
      }
      String message = partialText == null ? data.toString() : partialText.append(data).toString();
      partialText = null;
      if (events.text(message)) {
        webSocket.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      events.closed(statusCode, reason == null ? "" : reason);
      return null; // the JDK answers the close and shuts the connection
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      events.failed(error);
    }

  }
}
