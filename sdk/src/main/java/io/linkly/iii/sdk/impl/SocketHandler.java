package io.linkly.iii.sdk.impl;

import io.linkly.iii.protocol.DecodeException;
import io.linkly.iii.protocol.Message;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Last in the pipeline: frames in, lifecycle events up to {@link WorkerSocket}. */
final class SocketHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

  private static final Logger log = LoggerFactory.getLogger(SocketHandler.class);

  private final WorkerSocket socket;
  private final Frames frames;
  private final SocketListener listener;

  SocketHandler(WorkerSocket socket, Frames frames, SocketListener listener) {
    this.socket = socket;
    this.frames = frames;
    this.listener = listener;
  }

  static void ping(Channel ch) {
    if (ch.isActive()) {
      ch.writeAndFlush(new PingWebSocketFrame(), ch.voidPromise());
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (!(frame instanceof TextWebSocketFrame) && !(frame instanceof BinaryWebSocketFrame)) {
      return;
    }
    Message message;
    try {
      message = frames.decode(frame.content());
    } catch (DecodeException e) {
      log.debug("dropping an undecodable frame: {}", e.getMessage());
      return;
    }
    if (message == null) {
      return;
    }
    try {
      listener.onMessage(message);
    } catch (RuntimeException e) {
      log.warn("failed to handle a {} message", message.type(), e);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
      socket.opened(ctx.channel());
    } else if (event == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
      log.debug("WebSocket handshake timed out");
      socket.failed(new WorkerSocket.HandshakeTimeoutException());
      ctx.close();
    } else if (event instanceof IdleStateEvent) {
      log.warn("no frame from the engine within the idle timeout; reconnecting");
      ctx.close();
    } else {
      super.userEventTriggered(ctx, event);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    listener.onWritabilityChanged(ctx.channel());
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      // the aggregator has already discarded the oversized message; the connection is fine
      log.warn("dropping an inbound message larger than {} bytes", WorkerSocket.MAX_MESSAGE_BYTES);
      return;
    }
    log.debug("connection error: {}", cause.toString());
    socket.failed(cause);
    ctx.close();
  }
}
