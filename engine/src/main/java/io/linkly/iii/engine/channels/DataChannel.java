package io.linkly.iii.engine.channels;

import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A one-way relay of frames from one writer to one reader (PROTOCOL.md §7): frames keep their kind
 * and order; at most {@code capacity} frames (or {@code maxBytes}) wait in between, and past that
 * the writer is paused, so a fast producer is held back by a slow consumer instead of filling
 * memory. Either end may attach first: frames written before the reader attaches wait for it,
 * and a writer that closed early still has its frames delivered, then end of stream.
 *
 * <p>The ends run on different event loops, so the state is guarded by one lock; the ends' methods
 * never block. Frames are handed to the reader only on the reader's own event loop (a frame the
 * writer's loop brings is handed over by a task there), so they reach its socket in order and its
 * writability is exact; a call that comes back in while frames are being handed over (a reader
 * whose writability flips inside {@code take}) is absorbed by the {@code draining} flag.
 */
public final class DataChannel {

  private final String id;
  private final String accessKey;
  private final int capacity;
  private final long maxBytes;
  private final long createdNanos;
  private final Runnable onDone;
  /** Bytes waiting in every channel of the engine, which a channel adds its own to. */
  private final AtomicLong engineBytes;
  private final long engineMaxBytes;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<WebSocketFrame> buffer = new ArrayDeque<>();
  private long bufferedBytes;
  private ReaderEnd reader;
  private WriterEnd writer;
  private boolean readerTaken;
  private boolean writerTaken;
  private boolean writerClosed;
  private boolean writerPaused;
  /** Terminal: the reader saw end of stream, went away, or the channel was given up. */
  private boolean done;
  private boolean draining;
  private boolean drainScheduled;

  DataChannel(
      String id,
      String accessKey,
      int capacity,
      long maxBytes,
      AtomicLong engineBytes,
      long engineMaxBytes,
      long createdNanos,
      Runnable onDone) {
    this.engineBytes = engineBytes;
    this.engineMaxBytes = engineMaxBytes;
    this.id = id;
    this.accessKey = accessKey;
    this.capacity = capacity;
    this.maxBytes = maxBytes;
    this.createdNanos = createdNanos;
    this.onDone = onDone;
  }

  public String id() {
    return id;
  }

  public ChannelRef ref(ChannelRef.Direction direction) {
    return new ChannelRef(id, accessKey, direction);
  }

  boolean keyMatches(String key) {
    return accessKey.equals(key);
  }

  long createdNanos() {
    return createdNanos;
  }

  /**
   * Attaches the reading end; false when it was attached before (each end attaches once). Frames
   * already waiting are handed over at once.
   */
  public boolean attachReader(ReaderEnd end) {
    lock.lock();
    try {
      if (readerTaken) {
        return false;
      }
      readerTaken = true;
      if (done) {
        end.abort("channel closed");
        return true;
      }
      reader = end;
      drain();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Attaches the writing end; false when it was attached before. */
  public boolean attachWriter(WriterEnd end) {
    lock.lock();
    try {
      if (writerTaken) {
        return false;
      }
      writerTaken = true;
      if (done) {
        end.cutOff("the reader is gone");
        return true;
      }
      writer = end;
      if (full()) {
        writerPaused = true;
        end.pause();
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** A frame from the writer; the channel owns its reference from here on. */
  public void offer(WebSocketFrame frame) {
    lock.lock();
    try {
      if (done || writerClosed) {
        frame.release();
        return;
      }
      buffer.add(frame);
      bufferedBytes += frame.content().readableBytes();
      engineBytes.addAndGet(frame.content().readableBytes());
      drain();
      if (!writerPaused && writer != null && full()) {
        writerPaused = true;
        writer.pause();
      }
    } finally {
      lock.unlock();
    }
  }

  /** The writer is finished (a Close frame, or its socket went away: both read as end of stream). */
  public void writerClosed() {
    lock.lock();
    try {
      writerClosed = true;
      writer = null;
      drain();
    } finally {
      lock.unlock();
    }
  }

  /** The reader can take frames again. */
  public void readerReady() {
    lock.lock();
    try {
      drain();
    } finally {
      lock.unlock();
    }
  }

  /** The reader went away: what waits is dropped and the writer is cut off. */
  public void readerClosed() {
    lock.lock();
    try {
      if (done) {
        return;
      }
      reader = null;
      finish();
      if (writer != null) {
        writer.cutOff("the reader is gone");
        writer = null;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Gives the channel up (it expired, the engine stops, or the built-in that owns it is done with
   * it, as iii-http when its request completes): both ends are told, frames dropped.
   */
  public void abandon(String reason) {
    lock.lock();
    try {
      if (done) {
        return;
      }
      ReaderEnd r = reader;
      WriterEnd w = writer;
      reader = null;
      writer = null;
      finish();
      if (r != null) {
        r.abort(reason);
      }
      if (w != null) {
        w.cutOff(reason);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Both ends attached at some point (then the channel lives as long as they do). */
  boolean fullyAttached() {
    lock.lock();
    try {
      return readerTaken && writerTaken;
    } finally {
      lock.unlock();
    }
  }

  public int buffered() {
    lock.lock();
    try {
      return buffer.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Its own bounds, or (while it holds anything) the engine-wide one: many channels that each stay
   * under their own bound must not add up to more memory than the engine allows. A channel with
   * nothing waiting never counts as full, so the engine-wide bound cannot hold a writer back for
   * ever: its own reader empties it, and then it resumes.
   */
  private boolean full() {
    return buffer.size() >= capacity
        || bufferedBytes >= maxBytes
        || (!buffer.isEmpty() && engineBytes.get() >= engineMaxBytes);
  }

  /** Hands waiting frames over now when on the reader's loop, else by a task there. */
  private void drain() {
    if (reader != null && !reader.executor().inEventLoop()) {
      if (!drainScheduled && !done) {
        drainScheduled = true;
        reader.executor().execute(this::drainOnReaderLoop);
      }
      return;
    }
    drainHere();
  }

  private void drainOnReaderLoop() {
    lock.lock();
    try {
      drainScheduled = false;
      drain();
    } finally {
      lock.unlock();
    }
  }

  private void drainHere() {
    if (draining || done) {
      return;
    }
    draining = true;
    try {
      boolean handed = false;
      while (reader != null && !buffer.isEmpty() && reader.canTake()) {
        WebSocketFrame frame = buffer.poll();
        bufferedBytes -= frame.content().readableBytes();
        engineBytes.addAndGet(-frame.content().readableBytes());
        reader.take(frame);
        handed = true;
      }
      if (handed && reader != null) {
        reader.flush();
      }
      if (writerPaused && writer != null && !full()) {
        writerPaused = false;
        writer.resume();
      }
      if (writerClosed && buffer.isEmpty() && reader != null) {
        ReaderEnd r = reader;
        reader = null;
        finish();
        r.end();
      }
    } finally {
      draining = false;
    }
  }

  private void finish() {
    done = true;
    WebSocketFrame frame;
    while ((frame = buffer.poll()) != null) {
      frame.release();
    }
    engineBytes.addAndGet(-bufferedBytes);
    bufferedBytes = 0;
    onDone.run();
  }
}
