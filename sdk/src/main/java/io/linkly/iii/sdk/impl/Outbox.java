package io.linkly.iii.sdk.impl;

import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.protocol.Message;
import io.linkly.iii.sdk.IiiException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where every outbound message goes. While a connection is open, messages are encoded on the
 * sending thread and written at once. While it is not, messages that must survive the gap (calls
 * and binding removals) wait in a bounded queue; everything else is dropped because the replay on
 * the next connection re-sends it.
 *
 * <p>The lock only orders "is there a connection?" against "the connection became open" (replay,
 * flush of the queue, publish); writes never block, so it is held briefly.
 *
 * <p>Outbound bytes are bounded while connected too: when the socket's buffer is above its high
 * water mark, a sending thread waits (never the I/O thread), for at most its call's remaining time
 * or the default invocation timeout, until the engine has read enough.
 */
final class Outbox {

  static final int DEFAULT_CAPACITY = 10_000;
  /** Encoded bytes that may wait for the I/O thread to pick them up (beside the socket's bound). */
  static final long MAX_IN_TRANSIT = 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(Outbox.class);

  /** A message waiting for a connection, and the call it belongs to (if any). */
  private record Queued(Message message, PendingCall call) {}

  private final Frames frames;
  private final EventExecutor timers;
  private final int capacity;
  private final long maxWaitNanos;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition writable = lock.newCondition();
  private final ArrayDeque<Queued> queue = new ArrayDeque<>();
  private final AtomicLong inTransit = new AtomicLong();
  private final AtomicInteger waiters = new AtomicInteger();
  private volatile Channel channel;
  /** Set when the link stopped connecting: nothing waits for a connection any more. */
  private IiiException gaveUp;

  /**
   * {@code timers} runs the timeouts of calls that wait in the queue; {@code maxWait} bounds how
   * long a message that belongs to no call waits for a full socket to drain.
   */
  Outbox(Frames frames, EventExecutor timers, int capacity, Duration maxWait) {
    this.frames = frames;
    this.timers = timers;
    this.capacity = capacity;
    this.maxWaitNanos = maxWait.toNanos();
  }

  /** Sends if connected, else drops: for registrations (replayed) and replies (moot). */
  void send(Message message) {
    Channel ch = channel;
    if (ch == null) {
      lock.lock();
      try {
        ch = channel;
      } finally {
        lock.unlock();
      }
      if (ch == null) {
        return;
      }
    }
    if (!awaitWritable(ch, maxWaitNanos)) {
      log.warn("dropping a {} message: the engine has not read this worker's output for {} ms",
          message.type(), maxWaitNanos / 1_000_000);
      return;
    }
    write(ch, message);
  }

  /** The socket crossed a water mark: wake the senders waiting for it. */
  void writabilityChanged() {
    lock.lock();
    try {
      writable.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until {@code ch} can take more output, it closes, or {@code nanos} pass; true unless the
   * time ran out. The I/O thread never waits: it is the one that drains the socket.
   */
  private boolean awaitWritable(Channel ch, long nanos) {
    if (canTakeMore(ch) || ch.eventLoop().inEventLoop()) {
      return true;
    }
    waiters.incrementAndGet();
    lock.lock();
    try {
      long remaining = nanos;
      while (!canTakeMore(ch) && ch.isActive() && channel == ch) {
        if (remaining <= 0) {
          return false;
        }
        remaining = writable.awaitNanos(remaining);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      lock.unlock();
      waiters.decrementAndGet();
    }
  }

  /**
   * Sends if connected, else queues until the next connection.
   *
   * @param call the pending call the message belongs to; a queued message whose call is already
   *     done (timed out) is not sent
   * @throws IiiException when the queue is full
   */
  void sendOrQueue(Message message, PendingCall call) {
    Channel ch = channel;
    if (ch == null) {
      lock.lock();
      try {
        ch = channel;
        if (ch == null) {
          enqueue(message, call);
        }
      } finally {
        lock.unlock();
      }
      if (ch == null) {
        if (call != null) {
          call.arm(timers);
        }
        return;
      }
    }
    if (!awaitWritable(ch, call != null ? call.remainingNanos() : maxWaitNanos)) {
      throw new IiiException(
          call != null ? ErrorCodes.TIMEOUT : IiiException.UNKNOWN,
          "the engine has not read this worker's output in time; "
              + (call != null ? "the call to " + call.functionId() + " timed out" : "the message was not sent"));
    }
    writeKeeping(ch, message, call, true);
  }

  /**
   * Publishes a freshly opened channel. {@code replay} writes (without flushing) what every
   * connection starts with; then the queue is flushed, and only then may other threads write.
   * Runs on the I/O thread.
   */
  void open(Channel ch, Consumer<Channel> replay, Consumer<Channel> afterQueue) {
    lock.lock();
    try {
      replay.accept(ch);
      Queued q;
      while ((q = queue.poll()) != null) {
        if (q.call() == null || !q.call().isDone()) {
          writeKeeping(ch, q.message(), q.call(), false);
        }
      }
      afterQueue.accept(ch);
      ch.flush();
      channel = ch;
    } finally {
      lock.unlock();
    }
  }

  /** Writes without flushing; only for {@link #open}'s callbacks. */
  void writeDuringOpen(Channel ch, Message message) {
    ch.write(frames.encode(ch.alloc(), message), ch.voidPromise());
  }

  /** Returns true when {@code ch} was the open connection (false for a failed attempt). */
  boolean closed(Channel ch) {
    lock.lock();
    try {
      writable.signalAll();
      if (channel == ch) {
        channel = null;
        return true;
      }
      return false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The link stopped connecting: drops what waits for a connection, and from now on refuses to
   * queue with {@code reason} rather than hold a call until its timeout.
   */
  void giveUp(IiiException reason) {
    lock.lock();
    try {
      gaveUp = reason;
      queue.clear();
    } finally {
      lock.unlock();
    }
  }

  /** Drops everything still waiting; used on shutdown. */
  void clear() {
    lock.lock();
    try {
      channel = null;
      queue.clear();
      writable.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void enqueue(Message message, PendingCall call) {
    if (gaveUp != null) {
      // a fresh exception: it is thrown on the caller's thread, with the caller's stack
      throw new IiiException(gaveUp.code(), gaveUp.getMessage(), gaveUp.getCause());
    }
    if (queue.size() >= capacity) {
      throw new IiiException(
          IiiException.UNKNOWN,
          "not connected to the engine and " + capacity + " messages are already waiting");
    }
    queue.add(new Queued(message, call));
  }

  private void write(Channel ch, Message message) {
    ch.writeAndFlush(frames.encode(ch.alloc(), message), ch.voidPromise());
  }

  /**
   * Writes a message that must not be lost: if the connection dies under it, it goes back to the
   * queue for the next connection. A call's timeout is armed by the same I/O-thread task that
   * writes it.
   */
  private void writeKeeping(Channel ch, Message message, PendingCall call, boolean flush) {
    TextWebSocketFrame frame = frames.encode(ch.alloc(), message);
    EventLoop loop = ch.eventLoop();
    if (loop.inEventLoop()) {
      write(ch, loop, frame, message, call, flush);
      return;
    }
    // bytes handed to the I/O thread but not yet in the channel count against the bound too: a
    // busy I/O thread must not let them pile up in its task queue
    long size = frame.content().readableBytes();
    inTransit.addAndGet(size);
    try {
      loop.execute(
          () -> {
            if (inTransit.addAndGet(-size) < MAX_IN_TRANSIT && waiters.get() > 0) {
              writabilityChanged();
            }
            write(ch, loop, frame, message, call, true);
          });
    } catch (RejectedExecutionException e) {
      // the I/O thread is gone (shutdown), which fails every call anyway
      inTransit.addAndGet(-size);
      frame.release();
    }
  }

  /** Whether {@code ch} can take more: below its high-water mark, and little still in transit. */
  private boolean canTakeMore(Channel ch) {
    return ch.isWritable() && inTransit.get() < MAX_IN_TRANSIT;
  }

  private void write(
      Channel ch,
      EventLoop loop,
      TextWebSocketFrame frame,
      Message message,
      PendingCall call,
      boolean flush) {
    if (call != null) {
      call.arm(loop);
    }
    ChannelFuture written = flush ? ch.writeAndFlush(frame) : ch.write(frame);
    written.addListener(
        f -> {
          if (!f.isSuccess()) {
            requeue(ch, message, call);
          }
        });
  }

  private void requeue(Channel failed, Message message, PendingCall call) {
    if (call != null && call.isDone()) {
      return;
    }
    Channel ch;
    lock.lock();
    try {
      ch = channel;
      if (ch == null || ch == failed || !ch.isActive()) {
        if (gaveUp != null) {
          return; // no connection will come to send it; its call has failed with the reason
        }
        if (queue.size() < capacity) {
          queue.add(new Queued(message, call));
        } else {
          log.warn("dropping a {} message: the outbound queue is full", message.type());
        }
        return;
      }
    } finally {
      lock.unlock();
    }
    writeKeeping(ch, message, call, true);
  }
}
