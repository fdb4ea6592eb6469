package io.linkly.iii.engine.core;

import io.linkly.iii.protocol.Message;

/** The transport behind a remote worker: whatever carries frames to it. */
public interface Connection {

  /** Queues a message for the worker; never blocks. */
  void send(Message message);

  /** Closes the transport; the engine's disconnect cleanup follows. */
  void close(String reason);

  /** The peer's IP address, or {@code null} when unknown. */
  String remoteAddress();
}
