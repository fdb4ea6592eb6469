package io.linkly.iii.sdk.impl;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.util.concurrent.EventExecutor;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import io.linkly.iii.sdk.IiiException;

/**
 * A call this worker made and still waits for. Done means answered, timed out or abandoned.
 *
 * <p>Its timeout runs on the I/O thread's scheduler, armed by the same task that writes the call:
 * the caller then waits without a timed park, and arming and cancelling the timer cost no extra
 * thread wake-up.
 */
final class PendingCall {

  private final UUID id;
  private final String functionId;
  private final long deadlineNanos;
  private final Consumer<PendingCall> onTimeout;
  private final Supplier<IiiException> timeoutError;
  private final CompletableFuture<JsonNode> future = new CompletableFuture<>();
  private volatile ScheduledFuture<?> timer;

  PendingCall(
      UUID id,
      String functionId,
      long timeoutNanos,
      Consumer<PendingCall> onTimeout,
      Supplier<IiiException> timeoutError) {
    this.id = id;
    this.functionId = functionId;
    this.deadlineNanos = System.nanoTime() + timeoutNanos;
    this.onTimeout = onTimeout;
    this.timeoutError = timeoutError;
  }

  IiiException timeoutError() {
    return timeoutError.get();
  }

  UUID id() {
    return id;
  }

  String functionId() {
    return functionId;
  }

  CompletableFuture<JsonNode> future() {
    return future;
  }

  long remainingNanos() {
    return deadlineNanos - System.nanoTime();
  }

  boolean isDone() {
    return future.isDone();
  }

  /** Starts the timeout clock on {@code executor} unless it already runs; the deadline is fixed. */
  void arm(EventExecutor executor) {
    if (timer != null || future.isDone()) {
      return;
    }
    long remaining = deadlineNanos - System.nanoTime();
    if (remaining <= 0) {
      onTimeout.accept(this);
      return;
    }
    try {
      timer = executor.schedule(() -> onTimeout.accept(this), remaining, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // the I/O thread is gone, which only happens on shutdown; that fails every call anyway
      onTimeout.accept(this);
    }
  }

  void disarm() {
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
    }
  }
}
