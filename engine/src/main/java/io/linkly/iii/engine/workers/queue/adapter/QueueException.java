package io.linkly.iii.engine.workers.queue.adapter;

/** A queue operation that failed; the message is what the caller is told. */
public final class QueueException extends Exception {

  public QueueException(String message) {
    super(message, null, false, false);
  }

  public QueueException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
