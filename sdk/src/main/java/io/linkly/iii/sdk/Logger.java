package io.linkly.iii.sdk;

/**
 * Structured logging: every line goes to SLF4J locally and, fire-and-forget, to the engine's
 * {@code engine::log::<level>}. Never blocks and never throws.
 */
public interface Logger {

  void info(String message);

  void info(String message, Object data);

  void warn(String message);

  void warn(String message, Object data);

  void error(String message);

  void error(String message, Object data);

  void debug(String message);

  void debug(String message, Object data);
}
