package io.linkly.iii.engine.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * The {@code /otel} socket the SDKs open beside their worker socket (PROTOCOL.md §1.9). It
 * registers no worker; OTLP frames are accepted and discarded until the observability worker
 * grows a span store.
 */
final class Telemetry extends SimpleChannelInboundHandler<WebSocketFrame> {

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

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (frame instanceof PingWebSocketFrame ping) {
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
