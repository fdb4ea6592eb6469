package io.linkly.iii.engine.workers;

import io.linkly.iii.engine.core.Health;
import java.util.concurrent.TimeUnit;

/**
 * A durable store's disk outage. After a write fails, new writes are refused for
 * {@link #RETRY_NANOS}, so callers fail at once instead of queueing behind a dead disk; then they
 * are let through again, and the next write tries the disk: a disk that was full or briefly gone
 * heals without a restart. The transitions are reported so that the owner logs once per outage.
 */
public final class WriteOutage {

  public static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

  private volatile String cause;
  private volatile long retryAtNanos;

  /** Why writes are refused right now, or null when one may be tried. */
  public String refusal() {
    String c = cause;
    return c != null && System.nanoTime() - retryAtNanos < 0 ? c : null;
  }

  /** The outage's cause while it lasts (also between retries), or null. */
  public String cause() {
    return cause;
  }

  /** A write failed; true when this starts an outage. */
  public boolean failed(String why) {
    retryAtNanos = System.nanoTime() + RETRY_NANOS;
    boolean starts = cause == null;
    cause = why;
    return starts;
  }

  /** A write succeeded; true when this ends an outage. */
  public boolean succeeded() {
    if (cause == null) {
      return false;
    }
    cause = null;
    return true;
  }

  /** Nothing will try the disk again (the writer is gone): writes are refused from now on. */
  public void forGood(String why) {
    retryAtNanos = System.nanoTime() + Long.MAX_VALUE / 2;
    cause = why;
  }

  public Health health() {
    String c = cause;
    return c == null ? Health.ok() : Health.failing("journal writes fail (" + c + "); retried every second");
  }
}
