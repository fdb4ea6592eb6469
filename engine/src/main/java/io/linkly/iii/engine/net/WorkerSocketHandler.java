package io.linkly.iii.engine.net;

import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.protocol.DecodeException;
import io.linkly.iii.protocol.Message;
import io.linkly.iii.protocol.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker's socket (route {@code /}): decodes each frame once and hands it to the engine core.
 * A frame that is not a valid message is dropped and counted, never answered and never a reason
 * to close the socket (PROTOCOL.md §1.2).
 */
final class WorkerSocketHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

  private static final Logger log = LoggerFactory.getLogger(WorkerSocketHandler.class);

  private final Engine engine;
  private final MessageCodec codec;
  private Worker worker;
  private boolean warnedAboutBadFrame;

  WorkerSocketHandler(Engine engine, MessageCodec codec) {
    this.engine = engine;
    this.codec = codec;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event == WebSockets.OPENED) {
      worker = engine.connect(new NettyConnection(ctx.channel(), codec));
      log.debug("worker {} connected from {}", worker.id(), ctx.channel().remoteAddress());
    } else {
      super.userEventTriggered(ctx, event);
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    switch (frame) {
      case TextWebSocketFrame text -> onData(text.content());
      case BinaryWebSocketFrame binary -> {
        if (Telemetry.isTelemetryFrame(binary.content())) {
          return; // SDK telemetry on the worker socket: accepted and discarded
        }
        onData(binary.content());
      }
      case PingWebSocketFrame ping -> ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
      case PongWebSocketFrame pong -> {}
      case CloseWebSocketFrame close -> ctx.writeAndFlush(close.retainedDuplicate()).addListener(f -> ctx.close());
      default -> engine.countDroppedFrame();
    }
  }

  private void onData(ByteBuf content) {
    if (worker == null) {
      return;
    }
    if (isBlank(content)) {
      return;
    }
    Message message;
    try {
      message = codec.decode(new ByteBufInputStream(content));
    } catch (DecodeException e) {
      engine.countDroppedFrame();
      if (!warnedAboutBadFrame) {
        warnedAboutBadFrame = true;
        log.warn("worker {} sent an invalid frame ({}); dropping it and any like it", worker.id(), e.getMessage());
      } else {
        log.debug("worker {} sent an invalid frame: {}", worker.id(), e.getMessage());
      }
      return;
    }
    try {
      engine.onMessage(worker, message);
    } catch (RuntimeException e) {
      log.error("handling {} from worker {} failed", message.type(), worker.id(), e);
    }
  }

  private static boolean isBlank(ByteBuf content) {
    return content.forEachByte(b -> b == ' ' || b == '\n' || b == '\r' || b == '\t') == -1;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (worker != null) {
      engine.disconnected(worker);
      log.debug("worker {} disconnected", worker.id());
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("worker socket error: {}", cause.toString());
    ctx.close();
  }

}
