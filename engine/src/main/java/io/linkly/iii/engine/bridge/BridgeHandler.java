package io.linkly.iii.engine.bridge;

import io.linkly.iii.protocol.DecodeException;
import io.linkly.iii.protocol.Message;
import io.linkly.iii.protocol.MessageCodec;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last in the bridge's pipeline: decodes the backend's frames for {@link BridgeClient} and tells
 * it when the WebSocket is up and why it fails. A frame that does not decode is dropped, as the
 * engine itself does (PROTOCOL.md §1.2): the call it may have answered then times out.
 */
final class BridgeHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

  private static final Logger log = LoggerFactory.getLogger(BridgeHandler.class);

  private final BridgeClient client;
  private final MessageCodec codec;

  BridgeHandler(BridgeClient client, MessageCodec codec) {
    this.client = client;
    this.codec = codec;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (!(frame instanceof TextWebSocketFrame) && !(frame instanceof BinaryWebSocketFrame)) {
      return; // pings are answered and pongs dropped by the protocol handler before us
    }
    Message message;
    try {
      message = codec.decode(new ByteBufInputStream(frame.content()));
    } catch (DecodeException e) {
      log.debug("bridge {}: dropping a frame that does not decode: {}", client.url(), e.getMessage());
      return;
    }
    client.received(ctx.channel(), message);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
      client.opened(ctx.channel());
    } else if (event == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
      client.failed(ctx.channel(), "the WebSocket handshake timed out");
      ctx.close();
    } else if (event instanceof IdleStateEvent) {
      client.failed(ctx.channel(), "no frame from the backend for " + BridgeClient.IDLE_TIMEOUT.toSeconds() + " s");
      ctx.close();
    } else {
      super.userEventTriggered(ctx, event);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      // the aggregator discarded the oversized message; the call it answered times out
      log.warn("bridge {}: dropping a message from the backend larger than {} bytes", client.url(), BridgeClient.MAX_MESSAGE_BYTES);
      return;
    }
    client.failed(ctx.channel(), BridgeClient.reason(cause));
    ctx.close();
  }
}
