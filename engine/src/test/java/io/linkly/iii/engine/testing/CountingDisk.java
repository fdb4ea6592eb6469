package io.linkly.iii.engine.testing;

import io.linkly.iii.engine.workers.FileChannels;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A disk that counts and can hold fsyncs: every file a store opens through it works normally, but
 * each {@code force} is counted once it has returned, and while {@link #hold} is in effect a
 * {@code force} waits until {@link #release}. A held force shows what a store does before its data
 * is durable (a crash test cannot: kill -9 keeps the page cache).
 */
public final class CountingDisk implements FileChannels {

  private final AtomicInteger forces = new AtomicInteger();
  private final AtomicInteger waiting = new AtomicInteger();
  private volatile CountDownLatch gate;

  /** Forces that have returned so far. */
  public int forces() {
    return forces.get();
  }

  /** Forces waiting for {@link #release} now. */
  public int held() {
    return waiting.get();
  }

  /** From now on every force waits until {@link #release}. */
  public void hold() {
    gate = new CountDownLatch(1);
  }

  /** Lets waiting and later forces through. */
  public void release() {
    CountDownLatch g = gate;
    gate = null;
    if (g != null) {
      g.countDown();
    }
  }

  private void awaitGate() throws IOException {
    CountDownLatch g = gate;
    if (g == null) {
      return;
    }
    waiting.incrementAndGet();
    try {
      g.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while the force was held");
    } finally {
      waiting.decrementAndGet();
    }
  }

  @Override
  public FileChannel open(Path file, OpenOption... options) throws IOException {
    return new DelegatingFileChannel(FileChannel.open(file, options), new DelegatingFileChannel.Hooks() {
      @Override
      public void beforeForce() throws IOException {
        awaitGate();
      }

      @Override
      public void afterForce() {
        forces.incrementAndGet();
      }
    });
  }
}
