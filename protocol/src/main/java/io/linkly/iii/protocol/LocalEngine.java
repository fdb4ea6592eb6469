package io.linkly.iii.protocol;

/**
 * An engine running in this JVM that accepts workers without a socket. A worker attached this way
 * is an ordinary worker to the engine (same registry, same routing, same limits); only the
 * transport differs.
 */
public interface LocalEngine {

  /**
   * Connects a worker. The engine delivers its messages to {@code toWorker}, starting with
   * {@code workerregistered} (possibly before this method returns); the returned sink carries the
   * worker's messages to the engine, and its {@link MessageSink#closed} disconnects the worker.
   * Both sides take the trees of the messages they receive as their own: a sender must not keep
   * or change a tree it sent.
   */
  MessageSink attach(MessageSink toWorker);

  /**
   * The engine's worker socket URL, such as {@code ws://127.0.0.1:49134}: data channels are
   * WebSockets of their own ({@code /ws/channels/...}) for in-process workers too.
   */
  String workerUrl();
}
