package io.linkly.iii.engine.testing;

import io.linkly.iii.engine.workers.FileChannels;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
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
    return new Channel(FileChannel.open(file, options));
  }

  private final class Channel extends FileChannel {
    private final FileChannel real;

    Channel(FileChannel real) {
      this.real = real;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return real.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      return real.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      return real.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      return real.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
      return real.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      real.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return real.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      real.truncate(size);
      return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      awaitGate();
      real.force(metaData);
      forces.incrementAndGet();
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
      return real.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
      return real.transferFrom(src, position, count);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return real.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      return real.write(src, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      return real.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      return real.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      return real.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      real.close();
    }
  }
}
