package io.linkly.iii.engine.workers.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * How long one connection waits for its client: {@code idle} between requests, {@code header}
 * for a request's head from its first byte, {@code body} for its whole body after the head. A
 * client that runs out of time is cut off (408 JSON when an answer is still in order, silently
 * when the connection was merely idle), so half-sent requests and idle sockets cannot pile up.
 *
 * <p>A deadline runs only while the connection waits for the client alone: while an earlier
 * request is still being answered (the handler is bounded by {@code default_timeout}), or while
 * the engine does not read (a handler consumes a streamed body more slowly than it arrives),
 * nothing the client does late is its fault. A streamed response owes the request until its
 * last chunk, so a long download or event stream is not taken for an idle connection; a deadline
 * that passes in its middle closes the connection, since no 408 can be sent there. The body
 * deadline restarts with every chunk, so it bounds a stall, not the length of an upload.
 *
 * <p>It needs to see bytes (a head has begun) and messages (a head or body is complete), so it
 * sits in the pipeline twice: {@link #bytes()} before the HTTP codec, {@link #messages()} after
 * it. One timer is kept and moved lazily, so a fast request costs no timer operations.
 */
final class ReadTimeouts {

  private enum Phase { BETWEEN, HEADERS, BODY }

  private static final long NONE = Long.MIN_VALUE;

  private final HttpConfig.Timeouts limits;
  private ChannelHandlerContext ctx; // the messages() side: its writes go through the codec
  private Phase phase = Phase.BETWEEN;
  /** Requests whose head arrived and whose final response has not been written. */
  private int owed;
  private long deadline = NONE;
  private ScheduledFuture<?> timer;
  private long timerAt;
  private boolean closed;
  /** A streamed response has begun and not ended: no error can be written in its middle. */
  private boolean responding;

  ReadTimeouts(HttpConfig.Timeouts limits) {
    this.limits = limits;
  }

  ChannelHandler bytes() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext bytesCtx, Object msg) {
        if (phase == Phase.BETWEEN && msg instanceof ByteBuf buf && buf.isReadable()) {
          phase = Phase.HEADERS;
          rearm();
        }
        bytesCtx.fireChannelRead(msg);
      }
    };
  }

  ChannelHandler messages() {
    return new ChannelDuplexHandler() {
      @Override
      public void handlerAdded(ChannelHandlerContext added) {
        ctx = added;
        if (added.channel().isActive()) {
          rearm();
        }
      }

      @Override
      public void channelActive(ChannelHandlerContext active) {
        rearm();
        active.fireChannelActive();
      }

      @Override
      public void channelRead(ChannelHandlerContext in, Object msg) {
        if (msg instanceof HttpRequest) {
          owed++;
          phase = Phase.BODY;
        }
        if (msg instanceof LastHttpContent) {
          phase = Phase.BETWEEN;
        }
        rearm();
        in.fireChannelRead(msg);
      }

      @Override
      public void write(ChannelHandlerContext out, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
          out.write(msg, promise);
          return;
        }
        if (msg instanceof LastHttpContent) { // a full response, or the end of a streamed one
          responding = false;
          owed = Math.max(0, owed - 1);
          rearm();
        } else if (msg instanceof HttpResponse) {
          responding = true; // a streamed response's head: the request is owed until its end
        }
        out.write(msg, promise);
      }

      @Override
      public void channelInactive(ChannelHandlerContext inactive) {
        stop();
        inactive.fireChannelInactive();
      }

      @Override
      public void handlerRemoved(ChannelHandlerContext removed) {
        stop();
      }
    };
  }

  /** Sets the deadline the current state calls for; the one timer catches up when it fires. */
  private void rearm() {
    if (closed || ctx == null) {
      return;
    }
    long limitMs =
        switch (phase) {
          case BETWEEN -> owed == 0 ? limits.idleMs() : -1;
          case HEADERS -> owed == 0 ? limits.headerMs() : -1;
          case BODY -> owed <= 1 ? limits.bodyMs() : -1;
        };
    if (limitMs < 0) {
      deadline = NONE;
      return;
    }
    deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limitMs);
    if (timer == null || deadline - timerAt < 0) { // the timer must not fire after the deadline
      if (timer != null) {
        timer.cancel(false);
      }
      schedule(TimeUnit.MILLISECONDS.toNanos(limitMs));
    }
  }

  private void schedule(long inNanos) {
    timerAt = System.nanoTime() + inNanos;
    timer = ctx.executor().schedule(this::check, inNanos, TimeUnit.NANOSECONDS);
  }

  private void check() {
    timer = null;
    if (closed || deadline == NONE) {
      return;
    }
    long left = deadline - System.nanoTime();
    if (left > 0) {
      schedule(left);
      return;
    }
    if (!ctx.channel().config().isAutoRead()) {
      // we stopped reading (a handler reads the streamed body slowly): the wait is ours, not the client's
      rearm();
      return;
    }
    expire();
  }

  private void expire() {
    closed = true;
    HttpReply answer =
        responding ? null : switch (phase) {
          case HEADERS -> owed == 0 ? HttpErrors.requestTimeout("headers", limits.headerMs()) : null;
          case BODY -> owed == 1 ? HttpErrors.requestTimeout("body", limits.bodyMs()) : null;
          case BETWEEN -> null; // idle: nobody is waiting for an answer
        };
    if (answer == null) {
      ctx.close();
      return;
    }
    FullHttpResponse response = Responses.of(ctx.alloc(), answer);
    HttpUtil.setKeepAlive(response, false);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  private void stop() {
    closed = true;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
