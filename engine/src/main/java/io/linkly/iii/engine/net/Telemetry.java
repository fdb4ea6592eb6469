package io.linkly.iii.engine.net;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.Telemetry.Signal;
import io.linkly.iii.protocol.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;

/**
 * The {@code /otel} socket the SDKs open beside their worker socket (PROTOCOL.md §1.9). It
 * registers no worker and sends nothing; each binary frame is a 4-byte prefix ({@code OTLP},
 * {@code MTRC}, {@code LOGS}) and an OTLP JSON request, parsed once and handed to the engine's
 * {@link io.linkly.iii.engine.core.Telemetry}. Text frames are ignored; a frame that is not valid
 * telemetry is dropped and counted.
 */
final class Telemetry extends SimpleChannelInboundHandler<WebSocketFrame> {

  private final Engine engine;

  Telemetry(Engine engine) {
    this.engine = engine;
  }

  /** The signal of a telemetry frame, by its prefix; null for anything else. */
  static Signal signalOf(ByteBuf content) {
    if (content.readableBytes() < 4) {
      return null;
    }
    int i = content.readerIndex();
    byte a = content.getByte(i), b = content.getByte(i + 1), c = content.getByte(i + 2), d = content.getByte(i + 3);
    if (a == 'O' && b == 'T' && c == 'L' && d == 'P') {
      return Signal.SPANS;
    }
    if (a == 'M' && b == 'T' && c == 'R' && d == 'C') {
      return Signal.METRICS;
    }
    if (a == 'L' && b == 'O' && c == 'G' && d == 'S') {
      return Signal.LOGS;
    }
    return null;
  }

  /**
   * Parses the JSON after the prefix and hands it over, if anyone takes that signal; a body that
   * is not a JSON object is dropped and counted. Does not release {@code content}.
   */
  static void hand(Engine engine, Signal signal, ByteBuf content) {
    if (!engine.telemetry().wanted(signal)) {
      return; // nobody takes it: not worth parsing
    }
    JsonNode request;
    try (ByteBufInputStream in = new ByteBufInputStream(content.slice(content.readerIndex() + 4, content.readableBytes() - 4))) {
      request = Json.mapper().readTree((java.io.InputStream) in);
    } catch (IOException | RuntimeException e) {
      engine.countDroppedFrame();
      return;
    }
    if (request == null || !request.isObject()) {
      engine.countDroppedFrame();
      return;
    }
    engine.telemetry().accept(signal, request);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (frame instanceof BinaryWebSocketFrame binary) {
      Signal signal = signalOf(binary.content());
      if (signal == null) {
        engine.countDroppedFrame();
      } else {
        hand(engine, signal, binary.content());
      }
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
