package io.linkly.iii.engine.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.EngineVersion;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.net.Transport;
import io.linkly.iii.protocol.ErrorBody;
import io.linkly.iii.protocol.InvocationResult;
import io.linkly.iii.protocol.InvokeFunction;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.Message;
import io.linkly.iii.protocol.MessageCodec;
import io.linkly.iii.protocol.Ping;
import io.linkly.iii.protocol.Pong;
import io.linkly.iii.protocol.TriggerAction;
import io.linkly.iii.protocol.Uuids;
import io.linkly.iii.protocol.WorkerRegistered;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This engine as a worker of another one (the backend): what the {@code bridge} adapters of
 * {@code iii-state} and {@code iii-stream} forward their store operations through. It speaks just
 * enough of the worker protocol for that: it sends {@code invokefunction} and matches each
 * {@code invocationresult} to its call by invocation id. It registers no function, so the backend
 * never has a reason to call it.
 *
 * <p>No caller ever waits without bound. Every call has a timeout; while the backend is away, calls
 * fail at once with the reason (connection refused, …) instead of queueing, and the calls sent on a
 * connection that closes fail when it closes. Meanwhile the client reconnects with backoff (100 ms
 * doubling to 2 s: a bridge is a server-side dependency, so it comes back as soon as the backend
 * does rather than after an SDK's 30 s). A call made while a connection attempt is under way, such
 * as right after start, waits for that attempt.
 *
 * <p>Connection state changes on one event loop of the engine's transport; calls may come from any
 * thread. {@link #request} blocks its caller, so the stores call it on virtual threads only.
 */
public final class BridgeClient implements AutoCloseable {

  /**
   * How long a store operation may wait for the backend: shorter than the router's 30 s default
   * deadline, so that the caller hears the bridge's own error, naming the backend, and not a bare
   * timeout.
   */
  public static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  static final Duration PING_INTERVAL = Duration.ofSeconds(20);
  /** A backend silent this long (it answers our pings) is taken for gone: reconnect. */
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);
  static final long FIRST_RETRY_MS = 100;
  static final long MAX_RETRY_MS = 2_000;
  static final int MAX_PENDING = 10_000;
  static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(BridgeClient.class);

  private final String owner;
  private final URI url;
  private final String host;
  private final int port;
  private final SslContext ssl;
  private final Transport transport;
  private final EventLoop loop;
  private final MessageCodec codec = new MessageCodec();
  private final BridgeCalls calls = new BridgeCalls(MAX_PENDING);

  /** The connection whose WebSocket handshake completed, or null. */
  private volatile Channel channel;
  /**
   * The latest connection attempt: under way, done (with its channel) or failed (with the reason
   * every call made before the next attempt fails with). Never null.
   */
  private volatile CompletableFuture<Channel> attempt = new CompletableFuture<>();
  private volatile boolean closed;

  // The loop's alone.
  private Channel socket; // the current channel, handshaken or not
  private String failure; // why the current channel failed, when something said so
  private int retries;
  private ScheduledFuture<?> retry;
  private boolean down; // an outage was logged; logged again only once it is over
  private boolean everOpened;

  private BridgeClient(String owner, URI url, Transport transport) {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("ws") && !scheme.equals("wss")) {
      throw new IllegalArgumentException("a bridge URL must be ws:// or wss://, got " + url);
    }
    if (url.getHost() == null) {
      throw new IllegalArgumentException("a bridge URL needs a host, got " + url);
    }
    boolean secure = scheme.equals("wss");
    this.owner = owner;
    this.url = url;
    this.host = url.getHost();
    this.port = url.getPort() > 0 ? url.getPort() : secure ? 443 : 80;
    this.ssl = secure ? clientSsl() : null;
    this.transport = transport;
    this.loop = transport.group().next();
  }

  /**
   * Starts connecting to {@code url} and returns at once: an engine whose backend is not up yet
   * still starts, and its bridge connects when the backend does. {@code owner}, the worker that
   * bridges (such as {@code iii-state}), names this client in logs and in the backend's worker list.
   */
  public static BridgeClient connect(String owner, URI url, Transport transport) {
    BridgeClient client = new BridgeClient(owner, url, transport);
    client.loop.execute(client::connect);
    return client;
  }

  public URI url() {
    return url;
  }

  public boolean isConnected() {
    Channel ch = channel;
    return ch != null && ch.isActive();
  }

  /** Failing while the backend is away: the adapter's calls fail until it is back. */
  public Health health() {
    if (isConnected()) {
      return Health.ok();
    }
    return Health.failing("not connected to the backend engine at " + url + "; retrying");
  }

  /**
   * Calls {@code functionId} on the backend. The future ends with the result (null: none), with the
   * backend's error as an {@link InvocationException} carrying its code and message unchanged, or
   * with a {@link BridgeException} when no answer came: not connected, connection lost, or no
   * answer within {@code timeoutMs}.
   */
  public CompletableFuture<JsonNode> call(String functionId, JsonNode data, long timeoutMs) {
    if (closed) {
      return CompletableFuture.failedFuture(closedError());
    }
    UUID id = Uuids.fast();
    CompletableFuture<JsonNode> call = calls.open(id);
    if (call == null) {
      return CompletableFuture.failedFuture(
          new BridgeException(prefix() + MAX_PENDING + " calls are waiting for the backend already; " + functionId + " refused"));
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    try {
      ScheduledFuture<?> timer =
          loop.schedule(
              () -> calls.fail(id, new BridgeException(prefix() + "no answer to " + functionId + " within " + timeoutMs + " ms")),
              timeoutMs,
              TimeUnit.MILLISECONDS);
      call.whenComplete((r, e) -> timer.cancel(false));
    } catch (RejectedExecutionException e) {
      calls.fail(id, closedError()); // the engine's loops are stopping
      return call;
    }
    Channel ch = channel;
    if (ch != null && ch.isActive()) {
      send(ch, id, functionId, data, deadline);
    } else {
      attempt.whenComplete(
          (connected, failed) -> {
            if (failed != null) {
              calls.fail(id, asBridgeException(failed));
            } else {
              send(connected, id, functionId, data, deadline);
            }
          });
    }
    return call;
  }

  /**
   * {@link #call} for a caller that can block (a virtual thread): the result (null: none). The
   * backend's error is thrown as its {@link InvocationException}, unchanged.
   */
  public JsonNode request(String functionId, JsonNode data, long timeoutMs) throws BridgeException {
    CompletableFuture<JsonNode> call = call(functionId, data, timeoutMs);
    try {
      // the call's own timer ends it first; this bound only guards against a loop that stopped
      return call.get(timeoutMs + 1_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof InvocationException backendError) {
        throw backendError;
      }
      throw asBridgeException(cause);
    } catch (TimeoutException e) {
      throw new BridgeException(prefix() + "no answer to " + functionId + " within " + timeoutMs + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BridgeException(prefix() + "interrupted while waiting for " + functionId);
    }
  }

  private void send(Channel ch, UUID id, String functionId, JsonNode data, long deadline) {
    if (!ch.isActive()) {
      calls.fail(id, notConnected("the connection closed"));
      return;
    }
    if (!ch.isWritable()) {
      // the backend reads slower than we write: refuse rather than buffer without bound
      calls.fail(id, new BridgeException(prefix() + "the connection to the backend is backed up; " + functionId + " refused"));
      return;
    }
    long remainingMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    // timeout_ms tells a backend of this engine's kind to give up when we do (upstream ignores it)
    InvokeFunction invoke = new InvokeFunction(id, functionId, data, null, null, null, null, remainingMs);
    ch.writeAndFlush(frame(ch, invoke))
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                calls.fail(id, new BridgeException(prefix() + "could not send " + functionId + " to the backend (" + reason(f.cause()) + ")"));
              }
            });
  }

  private TextWebSocketFrame frame(Channel ch, Message message) {
    ByteBuf buf = ch.alloc().buffer();
    try {
      codec.encode(message, new ByteBufOutputStream(buf));
    } catch (RuntimeException e) {
      buf.release();
      throw e;
    }
    return new TextWebSocketFrame(buf);
  }

  // ------------------------------------------------------------------ the connection (on the loop)

  private void connect() {
    if (closed) {
      return;
    }
    failure = null;
    Bootstrap bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(transport.socketChannel())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
            .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    pipeline(ch);
                  }
                });
    ChannelFuture connecting;
    try {
      connecting = bootstrap.connect(host, port);
    } catch (RuntimeException e) {
      failure = reason(e);
      lost(null);
      return;
    }
    Channel ch = connecting.channel();
    socket = ch;
    connecting.addListener(
        f -> {
          if (!f.isSuccess()) {
            failed(ch, reason(f.cause()));
            ch.close();
          }
        });
    // Handled once the connect has its outcome, so that a refusal is known as the reason even when
    // Netty closes the channel before it fails the connect future.
    ch.closeFuture().addListener(f -> connecting.addListener(c -> lost(ch)));
  }

  private void pipeline(SocketChannel ch) {
    ChannelPipeline p = ch.pipeline();
    if (ssl != null) {
      p.addLast(ssl.newHandler(ch.alloc(), host, port));
    }
    // first, so that every inbound byte (a pong included) counts as a sign of life
    p.addLast(new IdleStateHandler(IDLE_TIMEOUT.toMillis(), 0, 0, TimeUnit.MILLISECONDS));
    p.addLast(new HttpClientCodec());
    p.addLast(new HttpObjectAggregator(64 * 1024));
    p.addLast(
        new WebSocketClientProtocolHandler(
            WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(url)
                .version(WebSocketVersion.V13)
                .allowExtensions(false)
                .maxFramePayloadLength(MAX_MESSAGE_BYTES)
                .handshakeTimeoutMillis(CONNECT_TIMEOUT.toMillis())
                .dropPongFrames(true)
                .build()));
    p.addLast(new WebSocketFrameAggregator(MAX_MESSAGE_BYTES));
    p.addLast(new BridgeHandler(this, codec));
  }

  /** The WebSocket handshake completed: calls go out from now on. */
  void opened(Channel ch) {
    if (ch != socket || closed) {
      ch.close();
      return;
    }
    retries = 0;
    channel = ch;
    ScheduledFuture<?> pinger =
        loop.scheduleAtFixedRate(
            () -> {
              if (ch.isActive()) {
                ch.writeAndFlush(new PingWebSocketFrame(), ch.voidPromise());
              }
            },
            PING_INTERVAL.toMillis(),
            PING_INTERVAL.toMillis(),
            TimeUnit.MILLISECONDS);
    ch.closeFuture().addListener(f -> pinger.cancel(false));
    introduce(ch);
    log.info(down && everOpened ? "{}: the bridge to {} is back" : "{}: bridged to {}", owner, url);
    down = false;
    everOpened = true;
    attempt.complete(ch);
  }

  /** Says who we are, so that the backend's {@code engine::workers::list} names this connection. */
  private void introduce(Channel ch) {
    ObjectNode data = Json.object();
    data.put("name", owner + " bridge");
    data.put("description", "an engine whose " + owner + " keeps its data here");
    data.put("runtime", "java");
    data.put("version", EngineVersion.VERSION);
    data.put("pid", ProcessHandle.current().pid());
    ch.writeAndFlush(
        frame(ch, new InvokeFunction(null, "engine::workers::register", data, TriggerAction.VOID, null, null, null)), ch.voidPromise());
  }

  /** Something said why {@code ch} fails; the first reason is the one reported. */
  void failed(Channel ch, String why) {
    if (ch == socket && failure == null) {
      failure = why;
    }
  }

  void received(Channel ch, Message message) {
    switch (message) {
      case InvocationResult result -> calls.answer(result);
      case Ping ping -> ch.writeAndFlush(frame(ch, Pong.INSTANCE), ch.voidPromise());
      case InvokeFunction call when call.invocationId() != null ->
          // we register no function, so this is a stray call: answer it rather than leave it hanging
          ch.writeAndFlush(
              frame(ch, InvocationResult.failure(call.invocationId(), call.functionId(), ErrorBody.functionNotFound(call.functionId()))),
              ch.voidPromise());
      case WorkerRegistered registered -> log.debug("{}: the backend at {} knows us as {}", owner, url, registered.workerId());
      default -> {} // nothing else concerns a worker that only calls
    }
  }

  /** The channel {@code ch} (null: none could be made) is gone: fail what waited on it, retry. */
  private void lost(Channel ch) {
    if (ch != socket) {
      return; // an older channel's late notice
    }
    socket = null;
    boolean wasOpen = ch != null && ch == channel;
    channel = null;
    if (closed) {
      return;
    }
    String why = failure != null ? failure : wasOpen ? "the backend closed the connection" : "the connection closed before the WebSocket handshake completed";
    BridgeException notConnected = notConnected(why);
    CompletableFuture<Channel> current = attempt;
    attempt = CompletableFuture.failedFuture(notConnected); // what every call fails with until the next attempt
    current.completeExceptionally(notConnected);
    if (wasOpen) {
      calls.failAll(new BridgeException(prefix() + "the connection to the backend closed before it answered (" + why + ")"));
      log.warn("{}: lost the bridge to {} ({}); its calls fail until the backend is back, retrying", owner, url, why);
      down = true;
    } else if (!down) {
      log.warn("{}: cannot reach the bridge's backend at {} ({}); its calls fail until it can, retrying", owner, url, why);
      down = true;
    } else {
      log.debug("{}: still cannot reach {} ({})", owner, url, why);
    }
    scheduleRetry();
  }

  private void scheduleRetry() {
    long delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(retries, 16));
    delay = (long) (delay * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble())); // spread engines that lost one backend together
    retries++;
    try {
      retry =
          loop.schedule(
              () -> {
                if (!closed) {
                  attempt = new CompletableFuture<>(); // calls made from now on wait for this attempt
                  connect();
                }
              },
              delay,
              TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the engine's loops are stopping: nothing left to reconnect for
    }
  }

  /** Stops reconnecting, fails every waiting call, and closes the connection. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    BridgeException why = closedError();
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      loop.execute(
          () -> {
            if (retry != null) {
              retry.cancel(false);
            }
            CompletableFuture<Channel> current = attempt;
            attempt = CompletableFuture.failedFuture(why);
            current.completeExceptionally(why);
            calls.failAll(why);
            Channel ch = socket;
            if (ch == null) {
              done.complete(null);
            } else {
              ch.close().addListener(f -> done.complete(null));
            }
          });
    } catch (RejectedExecutionException e) {
      calls.failAll(why); // the loops are gone, and the channel with them
      return;
    }
    if (!loop.inEventLoop()) {
      try {
        done.get(2, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // closing is best effort; the loops' shutdown closes the channel anyway
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ------------------------------------------------------------------ errors

  private String prefix() {
    return "bridge " + url + ": ";
  }

  private BridgeException notConnected(String why) {
    return new BridgeException(prefix() + "not connected to the backend engine (" + why + "); retrying in the background");
  }

  private BridgeException closedError() {
    return new BridgeException(prefix() + "closed (the engine is stopping or the adapter changed)");
  }

  private BridgeException asBridgeException(Throwable failure) {
    Throwable t = failure;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t instanceof BridgeException bridge ? bridge : new BridgeException(prefix() + reason(t));
  }

  /** The one fact that matters of a network failure, without the syscall and address around it. */
  static String reason(Throwable cause) {
    if (cause == null) {
      return "unknown failure";
    }
    if (cause instanceof ConnectTimeoutException) {
      return "connection timed out";
    }
    String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    if (cause instanceof ConnectException && message.toLowerCase(Locale.ROOT).contains("connection refused")) {
      return "connection refused";
    }
    if (cause instanceof UnknownHostException) {
      return "unknown host " + message;
    }
    return message;
  }

  private static SslContext clientSsl() {
    try {
      return SslContextBuilder.forClient().build();
    } catch (SSLException e) {
      throw new IllegalStateException("TLS is not available: " + e.getMessage(), e);
    }
  }
}
