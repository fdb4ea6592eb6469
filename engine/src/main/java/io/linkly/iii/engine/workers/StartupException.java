package io.linkly.iii.engine.workers;

import java.net.BindException;
import java.nio.file.Path;

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

  /** {@code iii-queue cannot use /srv/data/queue (workers[5].config.adapter.config.file_path: /srv/data is not a directory)} */
  public static StartupException cannotUse(String worker, Path path, String key, String problem, Throwable cause) {
    return new StartupException(
        worker + " cannot use " + path.toAbsolutePath().normalize() + " (" + key + ": " + problem + ")", cause);
  }

  /** As {@link #cannotUse(String, Path, String, String, Throwable)}, when the check found the problem itself. */
  public static StartupException cannotUse(String worker, Path path, String key, String problem) {
    return cannotUse(worker, path, key, problem, null);
  }
}
