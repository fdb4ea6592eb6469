package io.linkly.app.link;

import io.linkly.iii.sdk.IiiException;

/** A link request that cannot be stored; the message is safe to show to the client. */
public final class InvalidLinkException extends IiiException {

  public static final String CODE = "INVALID_LINK";

  public InvalidLinkException(String message) {
    super(CODE, message);
  }
}
