package io.linkly.iii.engine.net;

import io.linkly.iii.engine.channels.ChannelRef;
import io.linkly.iii.engine.channels.DataChannel;
import io.linkly.iii.engine.channels.DataChannels;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.metrics.MetricWriter;
import io.linkly.iii.engine.rbac.Authenticator;
import io.linkly.iii.engine.rbac.ListenerPolicy;
import io.linkly.iii.protocol.MessageCodec;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The {@code iii-worker-manager} listener (PROTOCOL.md §1.1): routes {@code /} to the worker
 * protocol, {@code /otel} to the telemetry sink, {@code /ws/channels/<id>} to an end of a data
 * channel, a plain {@code GET /metrics} to the Prometheus text of the engine's metrics (beyond
 * upstream), and answers anything else with 404. A client that does not complete its upgrade
 * request within the handshake deadline is disconnected; a scraper's connection is kept open for
 * as long again after each scrape.
 *
 * <p>Each listener has its own {@link ListenerPolicy} (auth, RBAC, middleware, PROTOCOL.md §9); all
 * share the one registry. A listener with an auth function serves neither {@code /otel} nor
 * {@code /metrics}: telemetry would be an unauthenticated way in, metrics an unauthenticated look
 * at every function id.
 */
public final class WorkerListener implements AutoCloseable {

  private static final String CHANNELS = "/ws/channels/";

  private final Listener listener;

  private WorkerListener(Listener listener) {
    this.listener = listener;
  }

  public static WorkerListener start(
      Transport transport,
      Engine engine,
      DataChannels channels,
      String host,
      int port,
      long handshakeTimeoutMs,
      SocketLimits limits,
      ListenerPolicy policy,
      Executor blocking)
      throws BindException {
    MessageCodec codec = new MessageCodec();
    Authenticator authenticator = new Authenticator(engine, policy, handshakeTimeoutMs);
    Listener listener =
        Listener.bind(
            transport,
            host,
            port,
            ch -> {
              ch.config()
                  .setWriteBufferWaterMark(
                      new WriteBufferWaterMark((int) (limits.maxBufferedBytes() / 2), (int) limits.maxBufferedBytes()));
              ch.pipeline()
                  // first in line: every write of one read batch (or one burst from other threads)
                  // reaches the socket in one flush
                  .addLast("flush", new FlushConsolidationHandler(256, true))
                  .addLast("http", new HttpServerCodec())
                  .addLast("http-aggregator", new HttpObjectAggregator(64 * 1024))
                  .addLast("router", new PathRouter(engine, channels, codec, handshakeTimeoutMs, limits, authenticator, blocking));
            });
    return new WorkerListener(listener);
  }

  public Health health() {
    return listener.health();
  }

  public int port() {
    return listener.port();
  }

  public String host() {
    return listener.host();
  }

  @Override
  public void close() {
    listener.close();
  }

  private static final class PathRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Engine engine;
    private final DataChannels channels;
    private final MessageCodec codec;
    private final long handshakeTimeoutMs;
    private final SocketLimits limits;
    private final Authenticator authenticator;
    private final Executor blocking;
    private ScheduledFuture<?> deadline;

    PathRouter(
        Engine engine,
        DataChannels channels,
        MessageCodec codec,
        long handshakeTimeoutMs,
        SocketLimits limits,
        Authenticator authenticator,
        Executor blocking) {
      this.engine = engine;
      this.channels = channels;
      this.codec = codec;
      this.handshakeTimeoutMs = handshakeTimeoutMs;
      this.limits = limits;
      this.authenticator = authenticator;
      this.blocking = blocking;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      deadline = ctx.executor().schedule(() -> ctx.close(), handshakeTimeoutMs, TimeUnit.MILLISECONDS);
      super.channelActive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      QueryStringDecoder target = new QueryStringDecoder(request.uri());
      String path = target.path();
      if (path.startsWith(CHANNELS)) {
        if (channelEnd(ctx, request, path.substring(CHANNELS.length()), target.parameters())) {
          deadline.cancel(false);
          ctx.pipeline().remove(this);
        }
        return;
      }
      if (!WebSockets.isUpgrade(request)) {
        if (path.equals("/metrics") && request.method().equals(HttpMethod.GET) && !authenticator.asks() && engine.metrics().enabled()) {
          scrape(ctx, request);
        } else {
          WebSockets.respond(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n");
        }
        return;
      }
      boolean upgraded =
          switch (path) {
            case "/" -> {
              UpgradeRequest upgrade = UpgradeRequest.of(ctx.channel(), request);
              yield WebSockets.upgrade(
                  ctx,
                  request,
                  p -> p.addLast("frames", new MessageFrameCodec(engine, codec))
                      .addLast("session", new SessionHandler(engine, limits, authenticator, upgrade)));
            }
            case "/otel" -> {
              if (authenticator.asks()) {
                WebSockets.respond(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n");
                yield false;
              }
              yield WebSockets.upgrade(ctx, request, "telemetry", new Telemetry(engine));
            }
            default -> {
              WebSockets.respond(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n");
              yield false;
            }
          };
      if (upgraded) {
        deadline.cancel(false);
        ctx.pipeline().remove(this);
      }
    }

    /**
     * Scrapes on a virtual thread (a collector may ask a queue backend), then answers on the
     * connection's event loop. The connection's idle deadline starts again after each answer.
     */
    private void scrape(ChannelHandlerContext ctx, FullHttpRequest request) {
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      deadline.cancel(false);
      ctx.channel().config().setAutoRead(false); // one scrape at a time: answers stay in request order
      CompletableFuture<String> scraped;
      try {
        scraped = CompletableFuture.supplyAsync(() -> engine.metrics().scrape(), blocking);
      } catch (RejectedExecutionException e) {
        scraped = CompletableFuture.failedFuture(e); // shutting down
      }
      scraped
          .whenCompleteAsync(
              (text, failure) -> {
                if (!ctx.channel().isActive()) {
                  return;
                }
                FullHttpResponse response;
                if (failure != null) {
                  byte[] body = "metrics could not be collected\n".getBytes(StandardCharsets.UTF_8);
                  response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.INTERNAL_SERVER_ERROR, ctx.alloc().buffer(body.length).writeBytes(body));
                  response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                } else {
                  byte[] body = text.getBytes(StandardCharsets.UTF_8);
                  response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, ctx.alloc().buffer(body.length).writeBytes(body));
                  response.headers().set(HttpHeaderNames.CONTENT_TYPE, MetricWriter.CONTENT_TYPE);
                }
                HttpUtil.setContentLength(response, response.content().readableBytes());
                HttpUtil.setKeepAlive(response, keepAlive);
                var write = ctx.writeAndFlush(response);
                if (keepAlive) {
                  deadline = ctx.executor().schedule(() -> ctx.close(), handshakeTimeoutMs, TimeUnit.MILLISECONDS);
                  ctx.channel().config().setAutoRead(true);
                } else {
                  write.addListener(ChannelFutureListener.CLOSE);
                }
              },
              ctx.executor());
    }

    /**
     * {@code /ws/channels/<id>?key=<access key>&dir=read|write} (PROTOCOL.md §7.2): 400 for a
     * missing or invalid key or dir, 404 for an unknown channel or a wrong key, both before the
     * upgrade.
     */
    private boolean channelEnd(ChannelHandlerContext ctx, FullHttpRequest request, String id, Map<String, List<String>> query) {
      String key = first(query, "key");
      ChannelRef.Direction direction = ChannelRef.Direction.fromWire(first(query, "dir"));
      if (key == null || direction == null) {
        WebSockets.respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "Failed to deserialize query string: key and dir=read|write are required\n");
        return false;
      }
      Optional<DataChannel> channel = channels.find(id, key);
      if (channel.isEmpty() || !WebSockets.isUpgrade(request)) {
        WebSockets.respond(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n");
        return false;
      }
      return WebSockets.upgrade(ctx, request, "channel", new ChannelSocket(channel.get(), direction));
    }

    private static String first(Map<String, List<String>> query, String name) {
      List<String> values = query.get(name);
      return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
