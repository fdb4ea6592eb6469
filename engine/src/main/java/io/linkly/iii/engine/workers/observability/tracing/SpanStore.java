package io.linkly.iii.engine.workers.observability.tracing;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@code memory} exporter: the newest {@code capacity} finished spans in a ring, the oldest
 * giving way. The engine's spans arrive as an OpenTelemetry {@link SpanProcessor} when they end;
 * an SDK's arrive parsed from its OTLP JSON frames. The engine's are kept as the SDK's own
 * snapshot and turned into {@link StoredSpan}s only when read: spans are made on every call and
 * read rarely. Reads copy references under the lock and convert outside it; the lock is held for
 * an array store per span and never during I/O.
 */
final class SpanStore implements SpanProcessor {

  /** {@link StoredSpan}s and, for the engine's own spans, not yet converted {@link SpanData}. */
  private final Object[] ring;
  private final ReentrantLock lock = new ReentrantLock();
  private int next; // where the next span goes
  private int size;
  private long evicted;

  SpanStore(int capacity) {
    this.ring = new Object[capacity];
  }

  void add(StoredSpan span) {
    put(span);
  }

  private void put(Object span) {
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
    return stored(null);
  }

  /** The stored spans of one trace, oldest first. */
  List<StoredSpan> trace(String traceId) {
    return stored(traceId);
  }

  /** The spans of {@code traceId} (all when null), oldest first, converted outside the lock. */
  private List<StoredSpan> stored(String traceId) {
    List<Object> held = new ArrayList<>();
    lock.lock();
    try {
      int first = (next - size + ring.length) % ring.length;
      for (int i = 0; i < size; i++) {
        Object span = ring[(first + i) % ring.length];
        if (traceId == null || traceId.equals(traceIdOf(span))) {
          held.add(span);
        }
      }
    } finally {
      lock.unlock();
    }
    List<StoredSpan> out = new ArrayList<>(held.size());
    for (Object span : held) {
      out.add(span instanceof SpanData data ? StoredSpan.of(data) : (StoredSpan) span);
    }
    return out;
  }

  private static String traceIdOf(Object span) {
    return span instanceof SpanData data ? data.getTraceId() : ((StoredSpan) span).traceId();
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
    put(span.toSpanData());
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
