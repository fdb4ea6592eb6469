package io.linkly.iii.sdk;

/** A trigger binding registered by this worker. */
public interface TriggerRef {

  /** The SDK-generated binding id; it stays the same across reconnects. */
  String id();

  TriggerBinding binding();

  /** Removes the binding; sent after the next reconnect when the worker is disconnected. */
  void unregister();
}
