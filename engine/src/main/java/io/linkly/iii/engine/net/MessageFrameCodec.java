package io.linkly.iii.engine.net;

import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.Telemetry.Signal;
import io.linkly.iii.protocol.DecodeException;
import io.linkly.iii.protocol.Message;
import io.linkly.iii.protocol.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebSocket frames to protocol records and back, once each. A frame that is not a valid message is
 * dropped and counted, never answered and never a reason to close the socket (PROTOCOL.md §1.2);
 * the first one on a connection is logged. Pings are answered here; SDK telemetry frames on the
 * worker socket go where those of {@code /otel} go.
 */
final class MessageFrameCodec extends ChannelDuplexHandler {

  private static final Logger log = LoggerFactory.getLogger(MessageFrameCodec.class);

  private final Engine engine;
  private final MessageCodec codec;
  private boolean warnedAboutBadFrame;
  private long bytesQueued; // event loop only

  MessageFrameCodec(Engine engine, MessageCodec codec) {
    this.engine = engine;
    this.codec = codec;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      switch (frame) {
        case TextWebSocketFrame text -> decode(ctx, text.content());
        case BinaryWebSocketFrame binary -> {
          Signal signal = Telemetry.signalOf(binary.content());
          if (signal == null) {
            decode(ctx, binary.content());
          } else {
            Telemetry.hand(engine, signal, binary.content());
          }
        }
        case PingWebSocketFrame ping -> ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
        case PongWebSocketFrame pong -> {}
        case CloseWebSocketFrame close -> ctx.writeAndFlush(close.retainedDuplicate()).addListener(f -> ctx.close());
        default -> engine.countDroppedFrame();
      }
    } finally {
      ReferenceCountUtil.release(frame);
    }
  }

  private void decode(ChannelHandlerContext ctx, ByteBuf content) {
    if (isBlank(content)) {
      return; // upstream skips whitespace-only frames
    }
    Message message;
    try {
      message = codec.decode(new ByteBufInputStream(content));
    } catch (DecodeException e) {
      engine.countDroppedFrame();
      if (!warnedAboutBadFrame) {
        warnedAboutBadFrame = true;
        log.warn("a worker at {} sent an invalid frame ({}); dropping it and any like it",
            ctx.channel().remoteAddress(), LogSafe.escape(e.getMessage()));
      }
      return;
    }
    ctx.fireChannelRead(message);
  }

  private static boolean isBlank(ByteBuf content) {
    return content.forEachByte(b -> b == ' ' || b == '\n' || b == '\r' || b == '\t') == -1;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!(msg instanceof Message message)) {
      ctx.write(msg, promise);
      return;
    }
    ByteBuf buffer = ctx.alloc().buffer(256);
    try {
      codec.encode(message, new ByteBufOutputStream(buffer));
    } catch (RuntimeException e) {
      buffer.release();
      promise.setFailure(e);
      log.error("could not encode a {} message", message.type(), e);
      return;
    }
    bytesQueued += buffer.readableBytes();
    ctx.write(new TextWebSocketFrame(buffer), promise);
  }

  /** Message bytes queued for the socket since it opened; read on the event loop. */
  long bytesQueued() {
    return bytesQueued;
  }
}
