package io.linkly.iii.protocol;

/** Error codes seen on the wire (PROTOCOL.md §2.2). */
public final class ErrorCodes {

  public static final String FUNCTION_NOT_FOUND = "function_not_found";
  public static final String INVOCATION_STOPPED = "invocation_stopped";
  public static final String INVOCATION_ERROR = "invocation_error";
  public static final String INVOCATION_FAILED = "invocation_failed";
  public static final String CHANNEL_SEND_FAILED = "channel_send_failed";
  public static final String ENQUEUE_ERROR = "enqueue_error";
  public static final String TRIGGER_REGISTRATION_FAILED = "trigger_registration_failed";
  public static final String TRIGGER_TYPE_NOT_FOUND = "trigger_type_not_found";
  public static final String DESERIALIZATION_ERROR = "deserialization_error";
  public static final String SERIALIZATION_ERROR = "serialization_error";
  public static final String NOT_FOUND = "NOT_FOUND";
  public static final String INVALID_ARGUMENTS = "INVALID_ARGUMENTS";
  public static final String FORBIDDEN = "FORBIDDEN";
  public static final String TIMEOUT = "TIMEOUT";

  private ErrorCodes() {}
}
