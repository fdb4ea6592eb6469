package io.linkly.iii.sdk.impl;

import io.linkly.iii.protocol.Message;

/**
 * How the worker reaches its engine: a WebSocket to an engine anywhere ({@link SocketLink}), or a
 * method-call link to an engine in this JVM ({@link LocalLink}). The worker above it does not care
 * which; only the transport's own concerns (reconnecting, framing, backpressure) live below.
 */
interface Link {

  /** Starts connecting; everything that happens is reported to the {@link LinkListener}. */
  void start();

  /** Sends if connected, else drops: for registrations (replayed) and replies (moot). */
  void send(Message message);

  /**
   * Sends a message that must not be lost; while disconnected it waits in a bounded queue.
   *
   * @param call the call the message belongs to, whose deadline bounds any wait
   * @throws io.linkly.iii.sdk.IiiException when it can be neither sent nor queued
   */
  void sendOrQueue(Message message, PendingCall call);

  /**
   * True when the engine takes the trees of a sent message as its own, without copying them (the
   * in-process link): the worker must then send only trees nobody else holds.
   */
  default boolean takesTrees() {
    return false;
  }

  /** True on the thread that delivers the engine's messages, which must never block. */
  boolean onDeliveryThread();

  /** Disconnects for good; waits briefly so the engine learns of it at once. Idempotent. */
  void stop();
}
