package io.linkly.iii.sdk.impl;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
 * Protocol messages to and from WebSocket frames, without intermediate byte arrays.
 *
 * <p>Decoding runs on the I/O thread, a long-lived platform thread, where Jackson's default
 * per-thread buffer recycling is ideal. Encoding mostly runs on virtual threads that live for one
 * call: per-thread recycling would allocate fresh buffers for each of them (measured at tens of
 * microseconds per message), so the encoder recycles its buffers through a shared pool instead.
 */
final class Frames {

  private final MessageCodec decoder;
  private final MessageCodec encoder;

  Frames() {
    this.decoder = new MessageCodec(Json.mapper());
    // The encoder only writes trees and strings, which no mapper feature of Json.mapper() affects.
    this.encoder =
        new MessageCodec(
            JsonMapper.builder(
                    JsonFactory.builder()
                        .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
                        .build())
                .build());
  }

  TextWebSocketFrame encode(ByteBufAllocator alloc, Message message) {
    ByteBuf buf = alloc.buffer(256);
    try {
      encoder.encode(message, new ByteBufOutputStream(buf));
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
      return decoder.decode(
          content.array(), content.arrayOffset() + content.readerIndex(), content.readableBytes());
    }
    return decoder.decode(new ByteBufInputStream(content.duplicate()));
  }

  private static boolean isBlank(ByteBuf content) {
    return content.forEachByte(b -> b == ' ' || b == '\n' || b == '\r' || b == '\t') == -1;
  }
}
