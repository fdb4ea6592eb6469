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
   */
  MessageSink attach(MessageSink toWorker);
}
