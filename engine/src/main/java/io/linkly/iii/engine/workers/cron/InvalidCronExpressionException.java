package io.linkly.iii.engine.workers.cron;

/**
 * A cron expression that does not read. The message is upstream's registration error,
 * {@code Invalid cron expression '<expr>': <details>}, where the details point at the place in the
 * expression and say what is wrong there.
 */
public final class InvalidCronExpressionException extends Exception {

  public InvalidCronExpressionException(String expression, String details) {
    super("Invalid cron expression '" + expression + "': " + details, null, false, false);
  }
}
