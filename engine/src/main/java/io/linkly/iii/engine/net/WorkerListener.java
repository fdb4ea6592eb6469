package io.linkly.iii.engine.net;

import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.protocol.MessageCodec;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.BindException;
import java.util.concurrent.TimeUnit;

/**
 * The {@code iii-worker-manager} listener (PROTOCOL.md §1.1): routes {@code /} to the worker
 * protocol, {@code /otel} to the telemetry sink, and answers anything else with 404. A client that
 * does not complete its upgrade request within the handshake deadline is disconnected.
 */
public final class WorkerListener implements AutoCloseable {

  private final Listener listener;

  private WorkerListener(Listener listener) {
    this.listener = listener;
  }

  public static WorkerListener start(
      Transport transport, Engine engine, String host, int port, long handshakeTimeoutMs, SocketLimits limits)
      throws BindException {
    MessageCodec codec = new MessageCodec();
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
                  .addLast("router", new PathRouter(engine, codec, handshakeTimeoutMs, limits));
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
    private final MessageCodec codec;
    private final long handshakeTimeoutMs;
    private final SocketLimits limits;
    private ScheduledFuture<?> deadline;

    PathRouter(Engine engine, MessageCodec codec, long handshakeTimeoutMs, SocketLimits limits) {
      this.engine = engine;
      this.codec = codec;
      this.handshakeTimeoutMs = handshakeTimeoutMs;
      this.limits = limits;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      deadline = ctx.executor().schedule(() -> ctx.close(), handshakeTimeoutMs, TimeUnit.MILLISECONDS);
      super.channelActive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      String path = new QueryStringDecoder(request.uri()).path();
      if (!WebSockets.isUpgrade(request)) {
        WebSockets.respond(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n");
        return;
      }
      boolean upgraded =
          switch (path) {
            case "/" ->
                WebSockets.upgrade(
                    ctx,
                    request,
                    p -> p.addLast("frames", new MessageFrameCodec(engine, codec))
                        .addLast("session", new SessionHandler(engine, limits)));
            case "/otel" -> WebSockets.upgrade(ctx, request, "telemetry", new Telemetry());
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

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
