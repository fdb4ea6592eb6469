package io.linkly.iii.sdk;

/** A trigger type this worker provides. */
public interface TriggerTypeRef {

  String id();

  /** Withdraws the type: the engine is told, and it is no longer replayed on reconnect. */
  void unregister();
}
