package io.linkly.iii.engine.core;

/**
 * A trigger type implemented inside the engine. {@link #register} validates and activates a
 * binding synchronously; a rejection reaches the binding's owner as a
 * {@code triggerregistrationresult} error.
 */
public interface TriggerProvider {

  void register(TriggerBinding binding) throws TriggerRejectedException;

  void unregister(TriggerBinding binding);

  /** A binding was rejected; the message is what the registering worker is told. */
  final class TriggerRejectedException extends Exception {
    public TriggerRejectedException(String message) {
      super(message, null, false, false);
    }
  }
}
