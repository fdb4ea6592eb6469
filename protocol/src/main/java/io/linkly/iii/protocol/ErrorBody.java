package io.linkly.iii.protocol;

/** The error shape every failed call carries (PROTOCOL.md §2.1). */
public record ErrorBody(String code, String message, String stacktrace) {

  public ErrorBody {
    if (code == null || message == null) {
      throw new IllegalArgumentException("an error needs a code and a message");
    }
  }

  public ErrorBody(String code, String message) {
    this(code, message, null);
  }

  public static ErrorBody functionNotFound(String functionId) {
    return new ErrorBody(ErrorCodes.FUNCTION_NOT_FOUND, "Function " + functionId + " not found");
  }

  public static ErrorBody invocationStopped() {
    return new ErrorBody(ErrorCodes.INVOCATION_STOPPED, "Invocation stopped");
  }
}
