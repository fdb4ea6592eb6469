package io.linkly.iii.engine.workers.stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One client socket on the stream port. Everything here is touched only on the channel's event
 * loop, so it needs no locks.
 */
final class StreamConnection {

  private final Channel channel;
  private final JsonNode context;
  private final long maxPendingBytes;
  private final long graceNanos;
  /** When the unread output first went over the bound, or 0 while it is under. */
  private long overSince;
  /** Subscriptions by subscription id; re-joining an id replaces it. */
  final Map<String, Subscriber> subscriptions = new LinkedHashMap<>();
  private boolean flushNeeded;
  private boolean cutOff;

  StreamConnection(Channel channel, JsonNode context, long maxPendingBytes, long graceMillis) {
    this.channel = channel;
    this.context = context;
    this.maxPendingBytes = maxPendingBytes;
    this.graceNanos = graceMillis * 1_000_000L;
  }

  Channel channel() {
    return channel;
  }

  JsonNode context() {
    return context;
  }

  boolean isOpen() {
    return !cutOff && channel.isActive();
  }

  /**
   * Queues one shared frame; false when this subscriber has fallen too far behind: its unread
   * output stayed over the bound for the whole grace period (a burst is not a stall), or grew to
   * eight times the bound.
   */
  boolean offer(ByteBuf frame) {
    long pending = pendingBytes();
    if (pending > maxPendingBytes) {
      long now = System.nanoTime();
      if (overSince == 0) {
        overSince = now;
      } else if (now - overSince > graceNanos) {
        return false;
      }
      if (pending > 8 * maxPendingBytes) {
        return false;
      }
    } else {
      overSince = 0;
    }
    // a ready-made WebSocket frame: it passes the frame encoder untouched. Each socket holds its
    // own reference, so a pooled frame shared by many sockets lives until the last has sent it.
    channel.write(frame.retainedDuplicate(), channel.voidPromise());
    flushNeeded = true;
    return true;
  }

  void flushIfNeeded() {
    if (flushNeeded) {
      flushNeeded = false;
      channel.flush();
    }
  }

  void writeNow(byte[] frame) {
    channel.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(frame)), channel.voidPromise());
  }

  /**
   * Disconnects a client that stopped reading. The close frame would queue behind everything it
   * did not read, so the socket is closed outright after a best-effort close frame.
   */
  void cutOff(String reason) {
    close(1008, reason);
  }

  /** Closes the socket at once with a best-effort close frame ({@code 1011}: the server failed). */
  void close(int status, String reason) {
    if (cutOff) {
      return;
    }
    cutOff = true;
    channel.writeAndFlush(new CloseWebSocketFrame(status, reason), channel.voidPromise());
    channel.close();
  }

  private long pendingBytes() {
    ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
    return outbound == null ? 0 : outbound.totalPendingWriteBytes();
  }
}
