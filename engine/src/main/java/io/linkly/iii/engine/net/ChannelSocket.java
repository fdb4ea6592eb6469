package io.linkly.iii.engine.net;

import io.linkly.iii.engine.channels.ChannelRef;
import io.linkly.iii.engine.channels.DataChannel;
import io.linkly.iii.engine.channels.ReaderEnd;
import io.linkly.iii.engine.channels.WriterEnd;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;

/**
 * One end of a data channel attached over {@code /ws/channels/<id>?key=&dir=} (PROTOCOL.md §7.2).
 * A writer's text and binary frames go into the channel as they are; its socket stops being read
 * while the channel is full, so TCP pushes back on the producer. A reader's socket gets the frames,
 * no faster than it drains them, then a Close frame at end of stream. An end that was attached
 * already is upgraded and closed at once, as upstream does.
 */
final class ChannelSocket extends ChannelInboundHandlerAdapter implements ReaderEnd, WriterEnd {

  /** WebSocket close codes: normal, going away, and a failure of the relay. */
  private static final int NORMAL = 1000;

  private static final int GOING_AWAY = 1001;

  private final DataChannel channel;
  private final ChannelRef.Direction direction;
  private ChannelHandlerContext ctx;
  private boolean attached;

  ChannelSocket(DataChannel channel, ChannelRef.Direction direction) {
    this.channel = channel;
    this.direction = direction;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event == WebSockets.OPENED) {
      attached = direction == ChannelRef.Direction.READ ? channel.attachReader(this) : channel.attachWriter(this);
      if (!attached) {
        close(NORMAL, "channel end already attached");
      }
      return;
    }
    super.userEventTriggered(ctx, event);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame frame)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (frame instanceof PingWebSocketFrame ping) {
      ctx.writeAndFlush(new PongWebSocketFrame(ping.content()));
    } else if (frame instanceof CloseWebSocketFrame close) {
      if (attached && direction == ChannelRef.Direction.WRITE) {
        channel.writerClosed();
      }
      ctx.writeAndFlush(close).addListener(ChannelFutureListener.CLOSE);
    } else if (attached
        && direction == ChannelRef.Direction.WRITE
        && (frame instanceof BinaryWebSocketFrame || frame instanceof TextWebSocketFrame)) {
      channel.offer(frame);
    } else {
      frame.release(); // a reader sends nothing worth relaying; pongs need no answer
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (attached && direction == ChannelRef.Direction.READ && ctx.channel().isWritable()) {
      channel.readerReady();
    }
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (attached) {
      if (direction == ChannelRef.Direction.READ) {
        channel.readerClosed();
      } else {
        channel.writerClosed(); // an abrupt close reads as end of stream (PROTOCOL.md §7.5)
      }
    }
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  // ------------------------------------------------------------------ as the reading end

  @Override
  public EventExecutor executor() {
    return ctx.executor();
  }

  @Override
  public boolean canTake() {
    return ctx.channel().isWritable();
  }

  @Override
  public void take(WebSocketFrame frame) {
    ctx.write(frame, ctx.voidPromise()); // on this socket's loop (DataChannel sees to it), so in order
  }

  @Override
  public void flush() {
    ctx.flush();
  }

  @Override
  public void end() {
    close(NORMAL, "stream_complete");
  }

  @Override
  public void abort(String reason) {
    close(GOING_AWAY, reason);
  }

  // ------------------------------------------------------------------ as the writing end

  @Override
  public void pause() {
    ctx.channel().config().setAutoRead(false);
  }

  @Override
  public void resume() {
    ctx.channel().config().setAutoRead(true);
  }

  @Override
  public void cutOff(String reason) {
    close(GOING_AWAY, reason);
  }

  private void close(int code, String reason) {
    ctx.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
  }
}
