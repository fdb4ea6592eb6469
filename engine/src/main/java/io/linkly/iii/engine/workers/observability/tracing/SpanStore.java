package io.linkly.iii.engine.workers.observability.tracing;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@code memory} exporter: the newest {@code capacity} finished spans in a ring, the oldest
 * giving way. The engine's spans arrive as an OpenTelemetry {@link SpanProcessor} when they end;
 * an SDK's arrive parsed from its OTLP JSON frames. Reads copy what they need under the lock; the
 * lock is held for an array store per span and never during I/O.
 */
final class SpanStore implements SpanProcessor {

  private final StoredSpan[] ring;
  private final ReentrantLock lock = new ReentrantLock();
  private int next; // where the next span goes
  private int size;
  private long evicted;

  SpanStore(int capacity) {
    this.ring = new StoredSpan[capacity];
  }

  void add(StoredSpan span) {
    lock.lock();
    try {
      if (size == ring.length) {
        evicted++;
      } else {
        size++;
      }
      ring[next] = span;
      next = (next + 1) % ring.length;
    } finally {
      lock.unlock();
    }
  }

  void addAll(List<StoredSpan> spans) {
    for (StoredSpan span : spans) {
      add(span);
    }
  }

  /** Every stored span, oldest first. */
  List<StoredSpan> all() {
    lock.lock();
    try {
      List<StoredSpan> out = new ArrayList<>(size);
      int first = (next - size + ring.length) % ring.length;
      for (int i = 0; i < size; i++) {
        out.add(ring[(first + i) % ring.length]);
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  /** The stored spans of one trace, oldest first. */
  List<StoredSpan> trace(String traceId) {
    List<StoredSpan> out = new ArrayList<>();
    lock.lock();
    try {
      int first = (next - size + ring.length) % ring.length;
      for (int i = 0; i < size; i++) {
        StoredSpan span = ring[(first + i) % ring.length];
        if (span.traceId().equals(traceId)) {
          out.add(span);
        }
      }
    } finally {
      lock.unlock();
    }
    return out;
  }

  void clear() {
    lock.lock();
    try {
      java.util.Arrays.fill(ring, null);
      next = 0;
      size = 0;
    } finally {
      lock.unlock();
    }
  }

  int size() {
    lock.lock();
    try {
      return size;
    } finally {
      lock.unlock();
    }
  }

  /** Spans pushed out by newer ones since start. */
  long evicted() {
    lock.lock();
    try {
      return evicted;
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ SpanProcessor

  @Override
  public void onStart(Context parentContext, ReadWriteSpan span) {}

  @Override
  public boolean isStartRequired() {
    return false;
  }

  @Override
  public void onEnd(ReadableSpan span) {
    add(StoredSpan.of(span.toSpanData()));
  }

  @Override
  public boolean isEndRequired() {
    return true;
  }

  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode forceFlush() {
    return CompletableResultCode.ofSuccess();
  }
}
