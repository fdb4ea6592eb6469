package io.linkly.iii.engine.workers;

import java.net.BindException;

/**
 * A built-in worker cannot start on this machine as configured: its port is taken, its directory
 * cannot be used, its store is damaged. Unlike a bug, the message is all a user needs, one line
 * naming the worker and the config key or file, so launchers print it alone (no stack trace) and
 * exit 2, as for a bad config.
 */
public final class StartupException extends Exception {

  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }

  /** {@code iii-http cannot listen on 127.0.0.1:3111 (workers[1].config.port: address already in use)} */
  public static StartupException cannotListen(String worker, String host, int port, String key, BindException cause) {
    return new StartupException(
        worker + " cannot listen on " + host + ":" + port + " (" + key + ": " + cause.getMessage() + ")", cause);
  }
}
