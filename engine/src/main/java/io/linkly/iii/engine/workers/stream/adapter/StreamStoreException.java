package io.linkly.iii.engine.workers.stream.adapter;

/** Storage refused or failed a stream operation. */
public final class StreamStoreException extends Exception {

  public StreamStoreException(String message) {
    super(message);
  }

  public StreamStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
