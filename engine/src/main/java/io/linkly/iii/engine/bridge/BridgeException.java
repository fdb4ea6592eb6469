package io.linkly.iii.engine.bridge;

/**
 * A call the bridge could not get answered: not connected to the backend engine, the connection
 * closed before the answer came, no answer in time, too many calls waiting. The message names the
 * bridge's URL. An error the backend itself answered is not one of these: it reaches the caller as
 * the backend's own {@code InvocationException}.
 */
public final class BridgeException extends Exception {

  public BridgeException(String message) {
    super(message, null, false, false);
  }
}
