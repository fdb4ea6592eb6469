package io.linkly.iii.engine.channels;

import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * The consuming side of a {@link DataChannel}: a {@code dir=read} socket, or an engine worker that
 * reads the channel itself (iii-http reading a handler's streamed response). Every method is
 * called with the channel's lock held and must not block.
 */
public interface ReaderEnd {

  /** Whether it can take another frame now; when it cannot, it calls {@link DataChannel#readerReady} once it can. */
  boolean canTake();

  /** Hands over one frame (text or binary) and its reference count. */
  void take(WebSocketFrame frame);

  /** Ends a batch of {@link #take} calls. */
  void flush();

  /** Every frame was delivered and the writer closed: end of stream. */
  void end();

  /** The channel was given up before its end (it expired, or the engine stops). */
  void abort(String reason);
}
