package io.linkly.iii.engine.workers.state.adapter;

/** A store operation or a store's start that failed; the message says what and where. */
public final class StateStoreException extends Exception {

  public StateStoreException(String message) {
    super(message);
  }

  public StateStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
