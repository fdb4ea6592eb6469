package io.linkly.iii.protocol;

/** A frame that is not a valid protocol message. Receivers drop such frames and go on. */
public final class DecodeException extends Exception {

  public DecodeException(String message) {
    super(message);
  }

  public DecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
