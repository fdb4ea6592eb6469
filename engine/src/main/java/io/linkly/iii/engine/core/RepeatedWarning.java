package io.linkly.iii.engine.core;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * One warning that can repeat thousands of times a second (a subscriber that keeps failing under
 * load): the first occurrence is logged, then at most one line per {@code intervalMs} saying how
 * many happened since, so a flood of failures costs counting, not a console line each.
 */
public final class RepeatedWarning {

  private final Logger log;
  private final long intervalMs;
  private final LongSupplier clockMs;
  private final AtomicLong unlogged = new AtomicLong();
  private final AtomicLong lastLoggedMs;

  private RepeatedWarning(Logger log, long intervalMs, LongSupplier clockMs) {
    this.log = log;
    this.intervalMs = intervalMs;
    this.clockMs = clockMs;
    this.lastLoggedMs = new AtomicLong(Long.MIN_VALUE / 2);
  }

  public RepeatedWarning(Logger log, long intervalMs) {
    this(log, intervalMs, System::currentTimeMillis);
  }

  /** Without a logger: only {@link #due} is called. */
  public RepeatedWarning(long intervalMs, LongSupplier clockMs) {
    this(null, intervalMs, clockMs);
  }

  /** Logs {@code message} (an SLF4J pattern) now, or counts it toward the next line. */
  public void warn(String message, Object... args) {
    long skipped = due();
    if (skipped == 0) {
      log.warn(message, args);
    } else if (skipped > 0) {
      Object[] withCount = java.util.Arrays.copyOf(args, args.length + 1);
      withCount[args.length] = skipped;
      log.warn(message + " ({} more like it since the last such line)", withCount);
    }
  }

  /**
   * For callers that log their own way: -1 when this occurrence is only counted, else the number
   * counted since the last line (0 for the first), and the caller logs one line now.
   */
  public long due() {
    long now = clockMs.getAsLong();
    long last = lastLoggedMs.get();
    if (now - last < intervalMs || !lastLoggedMs.compareAndSet(last, now)) {
      unlogged.incrementAndGet();
      return -1;
    }
    return unlogged.getAndSet(0);
  }
}
