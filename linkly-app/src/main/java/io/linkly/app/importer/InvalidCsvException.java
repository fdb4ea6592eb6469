package io.linkly.app.importer;

import io.linkly.iii.sdk.IiiException;

/** A CSV that cannot be imported at all (no header, no url column); nothing of it was imported. */
public final class InvalidCsvException extends IiiException {

  public static final String CODE = "INVALID_CSV";

  public InvalidCsvException(String message) {
    super(CODE, message);
  }
}
