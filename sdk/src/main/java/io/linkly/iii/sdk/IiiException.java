package io.linkly.iii.sdk;

import io.linkly.iii.protocol.ErrorBody;

/**
 * A failed call: the engine's or the executing worker's error, or a local one ({@code TIMEOUT},
 * {@code UNKNOWN}). Thrown by a handler, it is sent back to the caller with its own code.
 */
public class IiiException extends RuntimeException {

  /** Local-only code: the SDK could not finish the call for a reason that has no wire code. */
  public static final String UNKNOWN = "UNKNOWN";

  /**
   * Local-only code: the worker cannot reach its engine and its {@link ReconnectPolicy} allows no
   * more attempts (the message says why, e.g. "connection refused").
   */
  public static final String CONNECTION_FAILED = "CONNECTION_FAILED";

  private final String code;
  private final String stacktrace;
  private final String functionId;

  public IiiException(String code, String message) {
    this(code, message, null, null, null);
  }

  public IiiException(String code, String message, Throwable cause) {
    this(code, message, null, null, cause);
  }

  public IiiException(String code, String message, String stacktrace, String functionId) {
    this(code, message, stacktrace, functionId, null);
  }

  private IiiException(
      String code, String message, String stacktrace, String functionId, Throwable cause) {
    super(message == null ? "" : message, cause);
    this.code = code == null ? UNKNOWN : code;
    this.stacktrace = stacktrace;
    this.functionId = functionId;
  }

  /** The error a caller received for {@code functionId}. */
  public static IiiException from(ErrorBody error, String functionId) {
    return new IiiException(error.code(), error.message(), error.stacktrace(), functionId);
  }

  public String code() {
    return code;
  }

  /** The remote stack trace text, when the executing worker sent one. */
  public String stacktrace() {
    return stacktrace;
  }

  /** The function that was called, when known. */
  public String functionId() {
    return functionId;
  }

  public ErrorBody toErrorBody() {
    return new ErrorBody(code, getMessage(), stacktrace);
  }

  @Override
  public String toString() {
    return code + ": " + getMessage();
  }
}
