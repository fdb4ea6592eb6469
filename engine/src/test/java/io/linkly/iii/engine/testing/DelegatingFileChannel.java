package io.linkly.iii.engine.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A real file channel with two places a test disk can step in: before anything that changes the
 * file ({@link Hooks#beforeWrite}) and around a force ({@link Hooks#beforeForce},
 * {@link Hooks#afterForce}). Reads always pass straight through.
 */
final class DelegatingFileChannel extends FileChannel {

  /** What a test disk does at those places; each may throw to fail the operation. */
  interface Hooks {
    default void beforeWrite() throws IOException {}

    default void beforeForce() throws IOException {}

    default void afterForce() {}
  }

  private final FileChannel real;
  private final Hooks hooks;

  DelegatingFileChannel(FileChannel real, Hooks hooks) {
    this.real = real;
    this.hooks = hooks;
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
    hooks.beforeWrite();
    return real.write(src);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    hooks.beforeWrite();
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
    hooks.beforeWrite();
    real.truncate(size);
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    hooks.beforeForce();
    real.force(metaData);
    hooks.afterForce();
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    return real.transferTo(position, count, target);
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    hooks.beforeWrite();
    return real.transferFrom(src, position, count);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return real.read(dst, position);
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    hooks.beforeWrite();
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
