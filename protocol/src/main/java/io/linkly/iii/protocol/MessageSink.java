package io.linkly.iii.protocol;

/**
 * One direction of an in-process connection between a worker and an engine in the same JVM: the
 * same protocol records as on a socket, handed over by a method call instead of JSON text.
 */
public interface MessageSink {

  /** Delivers one message. Must not block: the receiver hands slow work to its own threads. */
  void accept(Message message);

  /** The other side closed the connection; no message follows. */
  void closed(String reason);
}
