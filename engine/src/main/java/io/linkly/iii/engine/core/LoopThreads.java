package io.linkly.iii.engine.core;

/**
 * Platform threads for the few long-lived loops that wait with a timeout and block on file I/O (a
 * journal's writer, a batch committer).
 *
 * <p>Such a loop does not belong on a virtual thread: there, every timed wait arms and cancels a
 * timer in the carrier pool's delay scheduler, waking its thread twice (about 8 % of Linkly's CPU
 * under redirect load, measured with async-profiler), and every {@code fsync} blocks a carrier.
 * One platform thread per loop waits with a plain futex and costs nothing while idle.
 */
public final class LoopThreads {

  private LoopThreads() {}

  /** Starts {@code loop} on a new daemon platform thread named {@code name}. */
  public static Thread start(String name, Runnable loop) {
    return Thread.ofPlatform().daemon().name(name).start(loop);
  }
}
