package io.linkly.iii.engine.net;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.Session;
import io.linkly.iii.engine.rbac.Authenticator;
import io.linkly.iii.engine.rbac.SessionAccess;
import io.linkly.iii.protocol.Message;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ties one worker socket to its {@link Session}: opens it when the upgrade completes, hands it
 * every decoded message in order, closes it when the socket goes. It also applies backpressure:
 * while the worker's unread output is above the bound, its own frames are not read, and if that
 * lasts a grace period in which the worker read nothing, it is cut off.
 *
 * <p>On a listener with an auth function the session opens only once that function has accepted
 * the connection (PROTOCOL.md §9.1); what the worker sent meanwhile waits, and reading stops. A
 * refusal gets one {@code error} frame with {@code AUTH_ERROR}, then a close.
 */
final class SessionHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(SessionHandler.class);

  /** More than this many messages sent before the auth function answered is a flood. */
  private static final int MAX_EARLY_MESSAGES = 10_000;

  private final Engine engine;
  private final SocketLimits limits;
  private final Authenticator authenticator;
  private final UpgradeRequest request;
  private NettyConnection connection;
  private Session session;
  private List<Message> early;
  private ScheduledFuture<?> grace;

  SessionHandler(Engine engine, SocketLimits limits, Authenticator authenticator, UpgradeRequest request) {
    this.engine = engine;
    this.limits = limits;
    this.authenticator = authenticator;
    this.request = request;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event != WebSockets.OPENED) {
      super.userEventTriggered(ctx, event);
      return;
    }
    connection = new NettyConnection(ctx.channel(), limits);
    if (!authenticator.asks()) {
      open(ctx, authenticator.unauthenticated());
      return;
    }
    early = new ArrayList<>();
    ctx.channel().config().setAutoRead(false);
    authenticator
        .authenticate(request.headers(), request.query(), request.ipAddress())
        .whenComplete(
            (access, failure) ->
                ctx.executor()
                    .execute(
                        () -> {
                          if (failure != null) {
                            refuse(ctx, failure.getCause() != null ? failure.getCause().getMessage() : failure.getMessage());
                          } else if (ctx.channel().isActive()) {
                            open(ctx, access);
                            List<Message> waiting = early;
                            early = null;
                            waiting.forEach(m -> deliver(m));
                            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
                          }
                        }));
  }

  private void open(ChannelHandlerContext ctx, SessionAccess access) {
    session = engine.open(connection, access);
    log.debug("worker {} connected from {}", session.worker().id(), ctx.channel().remoteAddress());
  }

  private static void refuse(ChannelHandlerContext ctx, String reason) {
    log.info("connection from {} refused by the auth function: {}", ctx.channel().remoteAddress(), reason);
    ObjectNode frame = JsonNodeFactory.instance.objectNode().put("type", "error");
    frame.putObject("error").put("code", "AUTH_ERROR").put("message", String.valueOf(reason));
    ctx.write(new TextWebSocketFrame(frame.toString()));
    ctx.writeAndFlush(new CloseWebSocketFrame(1008, "unauthorized")).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof Message message)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (session == null) {
      if (early != null) {
        if (early.size() >= MAX_EARLY_MESSAGES) {
          refuse(ctx, "more than " + MAX_EARLY_MESSAGES + " messages before the connection was accepted");
          early = null;
        } else {
          early.add(message);
        }
      }
      return;
    }
    deliver(message);
  }

  private void deliver(Message message) {
    try {
      session.onMessage(message);
    } catch (RuntimeException e) {
      log.error("handling a {} message from worker {} failed", message.type(), session.worker().id(), e);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    boolean writable = ctx.channel().isWritable();
    if (session != null) {
      ctx.channel().config().setAutoRead(writable); // before auth answers, nothing is read anyway
    }
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
