package io.linkly.app.importer;

/**
 * A CSV row that was not imported: the line it starts on, a stable machine {@code code} and a
 * message for people ({@code reason}, in link::create's words where it has them).
 */
public record SkippedRow(long line, String code, String reason) {

  public static final String DUPLICATE_CODE = "duplicate_code";
  public static final String INVALID_URL = "invalid_url";
  public static final String INVALID_CODE = "invalid_code";
  public static final String MALFORMED_ROW = "malformed_row";
  public static final String CODE_SPACE_EXHAUSTED = "code_space_exhausted";
}
