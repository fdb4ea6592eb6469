package io.linkly.iii.engine.workers.stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A complete server-to-client WebSocket text frame (RFC 6455 §5.2: FIN + text opcode, unmasked,
 * then the length), built once per change. Every subscriber's socket gets a duplicate of the same
 * direct buffer, so a delivery neither copies the payload nor runs Netty's frame encoder.
 *
 * <p>The buffer is unreleasable: sockets release their duplicates as usual, and the memory goes
 * with the last reference, like any object.
 */
final class WireFrame {

  private WireFrame() {}

  static ByteBuf text(byte[] payload) {
    int length = payload.length;
    int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    ByteBuf frame = Unpooled.directBuffer(header + length, header + length);
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
