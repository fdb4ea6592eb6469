package io.linkly.iii.sdk.impl;

import io.linkly.iii.protocol.DecodeException;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.Message;
import io.linkly.iii.protocol.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;

/**
 * Protocol messages to and from WebSocket frames, without intermediate byte arrays. Encoding mostly
 * runs on virtual threads that live for one call; {@link Json#mapper()} recycles its buffers
 * through a shared pool, so they do not pay for fresh ones each time.
 */
final class Frames {

  private final MessageCodec codec = new MessageCodec(Json.mapper());

  TextWebSocketFrame encode(ByteBufAllocator alloc, Message message) {
    ByteBuf buf = alloc.buffer(256);
    try {
      codec.encode(message, new ByteBufOutputStream(buf));
      return new TextWebSocketFrame(buf);
    } catch (RuntimeException | Error e) {
      buf.release();
      throw e;
    }
  }

  /** Returns null for a whitespace-only frame, which upstream skips. */
  Message decode(ByteBuf content) throws DecodeException {
    if (isBlank(content)) {
      return null;
    }
    if (content.hasArray()) {
      return codec.decode(
          content.array(), content.arrayOffset() + content.readerIndex(), content.readableBytes());
    }
    return codec.decode(new ByteBufInputStream(content.duplicate()));
  }

  private static boolean isBlank(ByteBuf content) {
    return content.forEachByte(b -> b == ' ' || b == '\n' || b == '\r' || b == '\t') == -1;
  }
}
