package io.linkly.iii.engine.net;

import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.TelemetrySink;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code /otel} socket the SDKs open beside their worker socket (PROTOCOL.md §1.9). It
 * registers no worker and sends nothing; each binary frame goes to the engine's sink for its kind
 * ({@link TelemetrySink}), text frames and frames of a kind nobody takes are dropped.
 */
final class Telemetry extends SimpleChannelInboundHandler<WebSocketFrame> {

  private static final Logger log = LoggerFactory.getLogger(Telemetry.class);

  private final Engine engine;

  Telemetry(Engine engine) {
    this.engine = engine;
  }

  static boolean isTelemetryFrame(ByteBuf content) {
    if (content.readableBytes() < 4) {
      return false;
    }
    int i = content.readerIndex();
    byte a = content.getByte(i), b = content.getByte(i + 1), c = content.getByte(i + 2), d = content.getByte(i + 3);
    return (a == 'O' && b == 'T' && c == 'L' && d == 'P')
        || (a == 'M' && b == 'T' && c == 'R' && d == 'C')
        || (a == 'L' && b == 'O' && c == 'G' && d == 'S');
  }

  /** The frame's kind by its prefix, or null when it is no telemetry frame. */
  static TelemetrySink.Kind kindOf(ByteBuf content) {
    if (!isTelemetryFrame(content)) {
      return null;
    }
    return switch (content.getByte(content.readerIndex())) {
      case 'O' -> TelemetrySink.Kind.SPANS;
      case 'M' -> TelemetrySink.Kind.METRICS;
      default -> TelemetrySink.Kind.LOGS;
    };
  }

  /** Hands a telemetry frame's body to its sink; a sink's failure costs that frame only. */
  static void deliver(Engine engine, ByteBuf content) {
    TelemetrySink.Kind kind = kindOf(content);
    TelemetrySink sink = kind == null ? null : engine.telemetrySink(kind);
    if (sink == null) {
      return;
    }
    try {
      sink.accept(content.slice(content.readerIndex() + 4, content.readableBytes() - 4));
    } catch (RuntimeException e) {
      engine.countDroppedFrame();
      log.debug("a {} telemetry frame was dropped: {}", kind.prefix(), LogSafe.escape(String.valueOf(e.getMessage())));
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (frame instanceof BinaryWebSocketFrame binary) {
      deliver(engine, binary.content());
    } else if (frame instanceof PingWebSocketFrame ping) {
      ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
    } else if (frame instanceof CloseWebSocketFrame close) {
      ctx.writeAndFlush(close.retainedDuplicate()).addListener(f -> ctx.close());
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
