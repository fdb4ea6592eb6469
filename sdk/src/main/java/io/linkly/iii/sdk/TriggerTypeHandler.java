package io.linkly.iii.sdk;

/**
 * The provider side of a custom trigger type: the engine hands it every binding of the type.
 * Both methods run on a virtual thread; calls for one binding id arrive in order.
 */
public interface TriggerTypeHandler {

  /** Activates a binding. Throwing rejects it ({@code trigger_registration_failed}). */
  void registerTrigger(TriggerConfig config) throws Exception;

  /**
   * Deactivates a binding. The engine only sends the id; the SDK fills in the rest when this
   * worker saw the binding's registration, otherwise {@code functionId} is empty and {@code
   * config} is null.
   */
  void unregisterTrigger(TriggerConfig config) throws Exception;
}
