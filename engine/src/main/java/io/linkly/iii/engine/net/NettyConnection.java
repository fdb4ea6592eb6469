package io.linkly.iii.engine.net;

import io.linkly.iii.engine.core.Connection;
import io.linkly.iii.protocol.Message;
import io.linkly.iii.protocol.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.channel.ChannelFutureListener;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's WebSocket as the engine core sees it. Every message is encoded once, straight into a
 * pooled buffer, and written as one text frame.
 *
 * <p>Outbound data is bounded: a worker that stops reading while more than
 * {@link #MAX_PENDING_BYTES} wait for it is disconnected rather than allowed to grow the heap.
 */
final class NettyConnection implements Connection {

  private static final Logger log = LoggerFactory.getLogger(NettyConnection.class);
  static final long MAX_PENDING_BYTES = 256L * 1024 * 1024;

  private final Channel channel;
  private final MessageCodec codec;

  NettyConnection(Channel channel, MessageCodec codec) {
    this.channel = channel;
    this.codec = codec;
  }

  @Override
  public void send(Message message) {
    if (!channel.isActive()) {
      return;
    }
    if (!channel.isWritable() && pendingBytes() > MAX_PENDING_BYTES) {
      log.warn("worker at {} is not reading; closing it", remoteAddress());
      close("outbound buffer full");
      return;
    }
    ByteBuf buffer = channel.alloc().buffer(256);
    try {
      codec.encode(message, new ByteBufOutputStream(buffer));
    } catch (RuntimeException e) {
      buffer.release();
      throw e;
    }
    channel.writeAndFlush(new TextWebSocketFrame(buffer), channel.voidPromise());
  }

  private long pendingBytes() {
    ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
    return outbound == null ? 0 : outbound.totalPendingWriteBytes();
  }

  @Override
  public void close(String reason) {
    if (channel.isActive()) {
      channel
          .writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE, reason))
          .addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public String remoteAddress() {
    return channel.remoteAddress() instanceof InetSocketAddress address
        ? address.getAddress().getHostAddress()
        : null;
  }
}
