package io.linkly.iii.engine.workers;

/**
 * A worker that lives inside the engine. It registers its functions and trigger types through the
 * same core methods a remote worker's frames reach.
 */
public interface BuiltinWorker extends AutoCloseable {

  String name();

  /** Registers functions and trigger types, binds listeners. */
  void start(EngineContext context) throws Exception;

  /** The port this worker listens on, if it has one (0 when none). */
  default int port() {
    return 0;
  }

  @Override
  default void close() {}
}
