package io.linkly.iii.engine.updates;

/**
 * An {@code ops} list that is not well-formed. The message reads like upstream's deserializer
 * ("missing field `path`"); the calling function wraps it in its {@code deserialization_error}.
 */
public final class UpdateOpSyntaxException extends Exception {

  public UpdateOpSyntaxException(String message) {
    super(message, null, false, false);
  }
}
