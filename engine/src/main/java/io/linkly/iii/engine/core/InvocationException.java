package io.linkly.iii.engine.core;

import io.linkly.iii.protocol.ErrorBody;

/** A call that failed with a wire-level error; the body travels to the caller unchanged. */
public final class InvocationException extends RuntimeException {

  private final ErrorBody error;

  public InvocationException(ErrorBody error) {
    super(error.code() + ": " + error.message(), null, false, false);
    this.error = error;
  }

  public InvocationException(String code, String message) {
    this(new ErrorBody(code, message));
  }

  public ErrorBody error() {
    return error;
  }

  /** The error body of any failure a call may end with. */
  public static ErrorBody bodyOf(Throwable failure) {
    Throwable t = failure;
    while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof InvocationException ie) {
      return ie.error();
    }
    String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return new ErrorBody(io.linkly.iii.protocol.ErrorCodes.INVOCATION_ERROR, message);
  }
}
