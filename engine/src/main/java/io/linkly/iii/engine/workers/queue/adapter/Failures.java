package io.linkly.iii.engine.workers.queue.adapter;

import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.protocol.ErrorBody;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Turns a failed attempt into the one-line error a dead letter keeps. */
final class Failures {

  private static final int MAX_ERROR_CHARS = 4096;

  private Failures() {}

  static String describe(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    String text;
    if (t instanceof InvocationException ie) {
      ErrorBody body = ie.error();
      text = body.code() + ": " + body.message();
    } else if (t instanceof java.util.concurrent.TimeoutException) {
      text = "TIMEOUT: the attempt did not finish in time";
    } else {
      text = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
    return text.length() > MAX_ERROR_CHARS ? text.substring(0, MAX_ERROR_CHARS) + "…" : text;
  }
}
