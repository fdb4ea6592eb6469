package io.linkly.iii.engine.core;

import io.linkly.iii.protocol.Message;

/**
 * The transport behind a worker: a WebSocket, or an in-memory link to a worker in this JVM.
 *
 * <p>Backpressure is part of the contract (as Vert.x's {@code writeQueueFull}/drain): a connection
 * whose peer does not keep up reports {@link #isWritable()} false, and runs the tasks given to
 * {@link #whenWritable} once it has drained. {@link #send} never blocks; a connection that stays
 * unwritable too long is closed by its transport.
 */
public interface Connection {

  /** Queues a message for the worker; never blocks. */
  void send(Message message);

  /** Closes the transport; the engine's disconnect cleanup follows. */
  void close(String reason);

  /** The peer's IP address, or {@code null} when unknown (and for in-process workers). */
  String remoteAddress();

  /** False while more output waits for the peer than the transport's bound allows. */
  default boolean isWritable() {
    return true;
  }

  /** Runs {@code task} once the connection is writable again (at once when it already is). */
  default void whenWritable(Runnable task) {
    task.run();
  }
}
