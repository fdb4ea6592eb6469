package io.linkly.iii.engine.net;

import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.Session;
import io.linkly.iii.protocol.Message;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ties one worker socket to its {@link Session}: opens it when the upgrade completes, hands it
 * every decoded message in order, closes it when the socket goes. It also applies backpressure:
 * while the worker's unread output is above the bound, its own frames are not read, and if that
 * lasts a grace period in which the worker read nothing, it is cut off.
 */
final class SessionHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(SessionHandler.class);

  private final Engine engine;
  private final SocketLimits limits;
  private NettyConnection connection;
  private Session session;
  private ScheduledFuture<?> grace;

  SessionHandler(Engine engine, SocketLimits limits) {
    this.engine = engine;
    this.limits = limits;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event == WebSockets.OPENED) {
      connection = new NettyConnection(ctx.channel(), limits);
      session = engine.open(connection);
      log.debug("worker {} connected from {}", session.worker().id(), ctx.channel().remoteAddress());
    } else {
      super.userEventTriggered(ctx, event);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof Message message)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (session == null) {
      return;
    }
    try {
      session.onMessage(message);
    } catch (RuntimeException e) {
      log.error("handling a {} message from worker {} failed", message.type(), session.worker().id(), e);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    boolean writable = ctx.channel().isWritable();
    ctx.channel().config().setAutoRead(writable);
    if (writable) {
      if (grace != null) {
        grace.cancel(false);
        grace = null;
      }
      if (connection != null) {
        connection.drained();
      }
    } else if (grace == null && connection != null) {
      startGrace(ctx, flushedSoFar(ctx));
    }
    ctx.fireChannelWritabilityChanged();
  }

  /** Bytes the socket has taken so far: what was queued minus what still waits. */
  private long flushedSoFar(ChannelHandlerContext ctx) {
    MessageFrameCodec codec = ctx.pipeline().get(MessageFrameCodec.class);
    return (codec == null ? 0 : codec.bytesQueued()) - connection.pendingBytes();
  }

  /**
   * Gives a worker whose output is above the bound {@code graceMs} to read it. A worker that did
   * read something meanwhile is slow, not stalled: it gets another grace period (new output may
   * have kept it above the bound all along).
   */
  private void startGrace(ChannelHandlerContext ctx, long flushedAtStart) {
    grace =
        ctx.executor()
            .schedule(
                () -> {
                  grace = null;
                  if (ctx.channel().isWritable() || !ctx.channel().isActive()) {
                    return;
                  }
                  long flushed = flushedSoFar(ctx);
                  if (flushed > flushedAtStart) {
                    startGrace(ctx, flushed);
                  } else {
                    connection.cutOff(
                        connection.pendingBytes() + " bytes have waited for more than " + limits.graceMs() + " ms");
                  }
                },
                limits.graceMs(),
                TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (grace != null) {
      grace.cancel(false);
    }
    if (session != null) {
      session.closed();
      connection.drained();
      log.debug("worker {} disconnected", session.worker().id());
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("worker socket error: {}", cause.toString());
    ctx.close();
  }
}
