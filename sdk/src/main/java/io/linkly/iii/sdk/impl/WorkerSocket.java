package io.linkly.iii.sdk.impl;

import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.ReconnectPolicy;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's one WebSocket to the engine: connects, keeps it alive with pings, notices a dead
 * peer, and reconnects with backoff until stopped, or until its {@link ReconnectPolicy} allows no
 * more attempts: then the listener learns why the last one failed. It knows nothing about the
 * protocol beyond framing; {@link SocketListener} gets the messages.
 */
final class WorkerSocket {

  static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  private static final Logger log = LoggerFactory.getLogger(WorkerSocket.class);

  private final URI uri;
  private final String host;
  private final int port;
  private final SslContext ssl;
  private final HttpHeaders headers;
  private final ReconnectPolicy policy;
  private final Heartbeat heartbeat;
  private final EventLoopGroup group;
  private final Transport transport;
  private final Frames frames;
  private final SocketListener listener;

  // Touched only on the I/O thread, except `stopped` and `current`, which stop() reads.
  private volatile boolean stopped;
  private volatile Channel current;
  private int attempt;
  private ScheduledFuture<?> reconnectTask;
  /** Why the latest attempt failed, if it is known; reported when the policy gives up. */
  private Throwable lastFailure;

  WorkerSocket(
      URI uri,
      Map<String, String> headers,
      ReconnectPolicy policy,
      Heartbeat heartbeat,
      EventLoopGroup group,
      Transport transport,
      Frames frames,
      SocketListener listener) {
    this.uri = uri;
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
    if (!scheme.equals("ws") && !scheme.equals("wss")) {
      throw new IllegalArgumentException("the engine URL must be ws:// or wss://, got " + uri);
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("the engine URL has no host: " + uri);
    }
    boolean secure = scheme.equals("wss");
    this.host = uri.getHost();
    this.port = uri.getPort() > 0 ? uri.getPort() : secure ? 443 : 80;
    this.ssl = secure ? clientSsl() : null;
    this.headers = new DefaultHttpHeaders();
    headers.forEach(this.headers::add);
    this.policy = policy;
    this.heartbeat = heartbeat;
    this.group = group;
    this.transport = transport;
    this.frames = frames;
    this.listener = listener;
  }

  private static SslContext clientSsl() {
    try {
      return SslContextBuilder.forClient().build();
    } catch (SSLException e) {
      throw new IllegalStateException("TLS is not available: " + e.getMessage(), e);
    }
  }

  void start() {
    group.execute(this::connect);
  }

  /** Closes the connection and stops reconnecting; returns the channel being closed, if any. */
  Channel stop() {
    stopped = true;
    try {
      group.execute(
          () -> {
            if (reconnectTask != null) {
              reconnectTask.cancel(false);
            }
          });
    } catch (RuntimeException e) {
      // the group is already shutting down, which cancels the task as well
    }
    Channel ch = current;
    if (ch != null) {
      ch.close();
    }
    return ch;
  }

  private void connect() {
    if (stopped) {
      return;
    }
    Bootstrap bootstrap =
        new Bootstrap()
            .group(group)
            .channel(transport.channelClass())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) HANDSHAKE_TIMEOUT.toMillis())
            .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(512 * 1024, 1024 * 1024))
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    configure(ch.pipeline(), ch);
                  }
                });
    ChannelFuture connecting;
    try {
      connecting = bootstrap.connect(host, port);
    } catch (RuntimeException e) {
      log.debug("cannot connect to {}: {}", uri, e.toString());
      lastFailure = e;
      scheduleReconnect();
      return;
    }
    Channel ch = connecting.channel();
    current = ch;
    connecting.addListener(
        f -> {
          if (!f.isSuccess()) {
            log.debug("cannot connect to {}: {}", uri, String.valueOf(f.cause()));
            lastFailure = f.cause();
            ch.close();
          }
        });
    // One path to the reconnect: whatever happens, the channel ends up closed exactly once. The
    // close is handled once the attempt has its outcome (Netty may close a channel whose connect
    // was refused before it fails the connect future), so a refusal is known as the reason; a
    // closed channel's connect future is always done or failed with the close.
    ch.closeFuture().addListener(f -> connecting.addListener(c -> closed(ch)));
    if (stopped) {
      ch.close();
    }
  }

  private void configure(ChannelPipeline p, SocketChannel ch) {
    if (ssl != null) {
      p.addLast(ssl.newHandler(ch.alloc(), host, port));
    }
    // First in line, so any inbound byte (a frame, a ping, a pong) counts as a sign of life.
    p.addLast(
        new IdleStateHandler(heartbeat.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
    // Many threads write concurrently (callers, handlers); one syscall per I/O-loop pass for all
    // of them instead of one per message.
    p.addLast(new FlushConsolidationHandler(256, true));
    p.addLast(new HttpClientCodec());
    p.addLast(new HttpObjectAggregator(64 * 1024));
    p.addLast(
        new WebSocketClientProtocolHandler(
            WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .allowExtensions(false)
                .customHeaders(headers)
                .maxFramePayloadLength(MAX_MESSAGE_BYTES)
                .handshakeTimeoutMillis(HANDSHAKE_TIMEOUT.toMillis())
                .dropPongFrames(true)
                .withUTF8Validator(false)
                .build()));
    p.addLast(new WebSocketFrameAggregator(MAX_MESSAGE_BYTES));
    p.addLast(new SocketHandler(this, frames, listener));
  }

  /** Called by the handler when the upgrade completed. */
  void opened(Channel ch) {
    attempt = 0;
    lastFailure = null;
    ScheduledFuture<?> pinger =
        ch.eventLoop()
            .scheduleAtFixedRate(
                () -> SocketHandler.ping(ch),
                heartbeat.pingInterval().toMillis(),
                heartbeat.pingInterval().toMillis(),
                TimeUnit.MILLISECONDS);
    ch.closeFuture().addListener(f -> pinger.cancel(false));
    listener.onOpen(ch);
  }

  /** Called by the handler with the error that is about to close the channel. */
  void failed(Throwable cause) {
    lastFailure = cause;
  }

  private void closed(Channel ch) {
    if (current == ch) {
      current = null;
    }
    try {
      listener.onClose(ch);
    } finally {
      scheduleReconnect();
    }
  }

  private void scheduleReconnect() {
    if (stopped) {
      return;
    }
    if (!policy.allows(attempt)) {
      log.error("giving up on {} after {} reconnect attempts", uri, attempt);
      listener.onGaveUp(unreachable(uri, lastFailure, attempt));
      return;
    }
    Duration delay = policy.delayFor(attempt, ThreadLocalRandom.current().nextDouble());
    attempt++;
    log.debug("reconnecting to {} in {} ms (attempt {})", uri, delay.toMillis(), attempt);
    try {
      reconnectTask = group.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      // the group is shutting down: nothing left to reconnect for
    }
  }

  /**
   * The error of every call that waited for a connection the policy gave up on: "connection
   * refused" and the like at once, {@code TIMEOUT} when the engine never answered.
   */
  static IiiException unreachable(URI uri, Throwable cause, int retries) {
    boolean timedOut = cause instanceof ConnectTimeoutException || cause instanceof HandshakeTimeoutException;
    String message = "cannot connect to the engine at " + uri + ": " + reason(cause)
        + (retries > 0 ? " (gave up after " + retries + " retries)" : "");
    return new IiiException(timedOut ? ErrorCodes.TIMEOUT : IiiException.CONNECTION_FAILED, message, cause);
  }

  private static String reason(Throwable cause) {
    if (cause == null) {
      return "the connection closed before the WebSocket handshake completed";
    }
    if (cause instanceof ConnectTimeoutException) {
      return "connection timed out";
    }
    String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    if (cause instanceof ConnectException && message.toLowerCase(Locale.ROOT).contains("connection refused")) {
      // Netty's text adds the syscall and the resolved address to the one fact that matters
      return "connection refused";
    }
    if (cause instanceof UnknownHostException) {
      return "unknown host " + message;
    }
    return message;
  }

  /** The engine accepted the TCP connection but did not complete the WebSocket upgrade in time. */
  static final class HandshakeTimeoutException extends Exception {
    HandshakeTimeoutException() {
      super("the WebSocket handshake timed out after " + HANDSHAKE_TIMEOUT.toMillis() + " ms", null, false, false);
    }
  }
}
