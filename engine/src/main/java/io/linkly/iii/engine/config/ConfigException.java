package io.linkly.iii.engine.config;

/** A configuration that cannot be used; the message names the offending key. */
public final class ConfigException extends Exception {

  public ConfigException(String message) {
    super(message);
  }
}
