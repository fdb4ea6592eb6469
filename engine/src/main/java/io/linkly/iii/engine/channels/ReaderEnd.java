package io.linkly.iii.engine.channels;

import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.EventExecutor;

/**
 * The consuming side of a {@link DataChannel}: a {@code dir=read} socket, or an engine worker that
 * reads the channel itself (iii-http reading a handler's streamed response). Every method is
 * called with the channel's lock held and must not block; {@link #canTake}, {@link #take},
 * {@link #flush} and {@link #end} only on {@link #executor}, so frames reach it in order.
 */
public interface ReaderEnd {

  /** The thread its frames are handed over on (its socket's event loop). */
  EventExecutor executor();

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
