package io.linkly.iii.engine.workers.state;

import io.linkly.iii.engine.IiiEngine;
import java.nio.file.Path;

/**
 * Runs an engine with a file-based state store in its own JVM, for {@link StateCrashTest} to kill.
 * Usage: {@code StateCrashMain <state directory>}; prints {@code PORT=<worker port>} when ready.
 */
public final class StateCrashMain {

  private StateCrashMain() {}

  public static void main(String[] args) throws Exception {
    IiiEngine engine = IiiEngine.start(FileStateEngineTest.fileBased(Path.of(args[0])));
    System.out.println("PORT=" + engine.workerPort());
    System.out.flush();
    Thread.currentThread().join(); // until killed
  }
}
