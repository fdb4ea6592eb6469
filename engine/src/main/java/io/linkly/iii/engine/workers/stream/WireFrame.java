package io.linkly.iii.engine.workers.stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A complete server-to-client WebSocket text frame (RFC 6455 §5.2: FIN + text opcode, unmasked,
 * then the length), built once per change. Every subscriber's socket gets a duplicate of the same
 * direct buffer, so a delivery neither copies the payload nor runs Netty's frame encoder.
 *
 * <p>The buffer is unreleasable: sockets release their duplicates as usual, and the memory goes
 * with the last reference, like any object. That needs memory the garbage collector frees: a JDK
 * direct buffer, which has a cleaner. (Netty's own direct buffers are freed only by a release that
 * an unreleasable wrapper never passes on, so every change leaked its frame's native memory.)
 */
final class WireFrame {

  private WireFrame() {}

  /**
   * The frames of {@code events}, back to back in one pooled buffer that the caller releases once
   * it has handed it to every socket (each socket holds its own reference). Unlike a change's
   * frame it lives only as long as its writes, so it needs no garbage-collected memory, and it is
   * taken from the event loop's pool rather than from {@code allocateDirect}, which may wait for a
   * garbage collection.
   */
  static ByteBuf concat(ByteBufAllocator alloc, List<StreamEvent> events) {
    int total = 0;
    for (StreamEvent e : events) {
      total += e.wire().readableBytes();
    }
    ByteBuf joined = alloc.directBuffer(total, total);
    for (StreamEvent e : events) {
      ByteBuf frame = e.wire();
      joined.writeBytes(frame, frame.readerIndex(), frame.readableBytes());
    }
    return joined;
  }

  static ByteBuf text(byte[] payload) {
    int length = payload.length;
    int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    ByteBuf frame = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(header + length)).clear();
    frame.writeByte(0x81);
    if (length < 126) {
      frame.writeByte(length);
    } else if (length <= 0xFFFF) {
      frame.writeByte(126);
      frame.writeShort(length);
    } else {
      frame.writeByte(127);
      frame.writeLong(length);
    }
    frame.writeBytes(payload);
    return Unpooled.unreleasableBuffer(frame);
  }
}
