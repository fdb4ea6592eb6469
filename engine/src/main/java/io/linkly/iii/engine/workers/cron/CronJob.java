package io.linkly.iii.engine.workers.cron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.workers.cron.adapter.CronLocks;
import io.linkly.iii.protocol.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code cron} binding's loop, on a virtual thread of its own (BUILTINS.md §8): find the next
 * firing after now, sleep until then, take the job's lock, call the condition and then the
 * handler and wait for them, give the lock back, repeat. So a job never runs twice at once on one
 * engine, and firings that pass while a run overruns are skipped, not caught up. Failures are
 * logged, never retried.
 *
 * <p>{@link #stop()} interrupts the thread wherever it is, sleeping or waiting for a handler (whose
 * call is then abandoned, as upstream aborts its task); the lock is given back on the way out.
 */
final class CronJob {

  private static final Logger log = LoggerFactory.getLogger(CronJob.class);

  private final String id;
  private final CronExpression expression;
  private final String functionId;
  private final String conditionFunctionId;
  private final JsonNode metadata;
  private final Engine engine;
  private final CronLocks locks;
  private final Clock clock;
  private final Thread thread;
  private volatile boolean stopped;

  /** {@code ended} is told when the loop has finished, whatever ended it. */
  CronJob(
      String id,
      CronExpression expression,
      String functionId,
      String conditionFunctionId,
      JsonNode metadata,
      Engine engine,
      CronLocks locks,
      Clock clock,
      Consumer<CronJob> ended) {
    this.id = id;
    this.expression = expression;
    this.functionId = functionId;
    this.conditionFunctionId = conditionFunctionId;
    this.metadata = metadata;
    this.engine = engine;
    this.locks = locks;
    this.clock = clock;
    this.thread = Thread.ofVirtual().name("iii-cron " + LogSafe.escape(id)).unstarted(() -> {
      try {
        loop();
      } finally {
        ended.accept(this);
      }
    });
  }

  String id() {
    return id;
  }

  void start() {
    thread.start();
  }

  void stop() {
    stopped = true;
    thread.interrupt();
  }

  /** Waits for the loop to end; false if it is still running after {@code timeout}. */
  boolean join(Duration timeout) throws InterruptedException {
    return thread.join(timeout);
  }

  private void loop() {
    Instant previous = null;
    try {
      while (!stopped) {
        // From the firing just run if the clock says it is not over yet (a timer that woke a
        // little early), so that no firing runs twice.
        Instant now = clock.instant();
        Optional<Instant> next = expression.next(previous != null && previous.isAfter(now) ? previous : now);
        if (next.isEmpty()) {
          log.warn("iii-cron: job {} ({}) has no firing left; it stops", LogSafe.escape(id), LogSafe.escape(expression.toString()));
          return;
        }
        sleepUntil(next.get());
        previous = next.get();
        try {
          fire(previous);
        } catch (RuntimeException e) {
          log.error("iii-cron: job {} failed at {}", LogSafe.escape(id), previous, e); // the job goes on
        }
      }
    } catch (InterruptedException e) {
      // stopped
    }
  }

  private void sleepUntil(Instant when) throws InterruptedException {
    while (true) {
      Duration left = Duration.between(clock.instant(), when);
      if (left.isNegative() || left.isZero()) {
        return;
      }
      Thread.sleep(left);
    }
  }

  private void fire(Instant scheduled) throws InterruptedException {
    if (!locks.acquire(id, scheduled)) {
      log.debug("iii-cron: job {} at {} runs elsewhere; skipped here", LogSafe.escape(id), scheduled);
      return;
    }
    try {
      ObjectNode payload = Json.object();
      payload.put("trigger", "cron");
      payload.put("job_id", id);
      payload.put("scheduled_time", Rfc3339.format(scheduled));
      payload.put("actual_time", Rfc3339.format(clock.instant()));
      log.debug("iii-cron: job {} fires {}", LogSafe.escape(id), LogSafe.escape(functionId));
      if (conditionFunctionId != null && !conditionAllows(payload.deepCopy())) {
        return;
      }
      try {
        await(engine.invoke(Call.of(functionId, payload, metadata)));
      } catch (ExecutionException e) {
        log.error("iii-cron: job {}: {} failed: {}",
            LogSafe.escape(id), LogSafe.escape(functionId), LogSafe.escape(InvocationException.bodyOf(e.getCause()).message()));
      }
    } finally {
      // Give the lock back even when stopping: clear the interrupt for the store's call, then restore it.
      boolean interrupted = Thread.interrupted();
      locks.release(id);
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Only a JSON {@code false} skips the handler; a failing condition skips it too (BUILTINS.md §0.4). */
  private boolean conditionAllows(JsonNode payload) throws InterruptedException {
    try {
      JsonNode verdict = await(engine.invoke(Call.of(conditionFunctionId, payload)));
      return verdict == null || !verdict.isBoolean() || verdict.booleanValue();
    } catch (ExecutionException e) {
      log.error("iii-cron: job {}: condition {} failed, {} skipped: {}",
          LogSafe.escape(id), LogSafe.escape(conditionFunctionId), LogSafe.escape(functionId),
          LogSafe.escape(InvocationException.bodyOf(e.getCause()).message()));
      return false;
    }
  }

  /** Unlike {@code join()}, {@code get()} gives way to {@link #stop()}'s interrupt. */
  private static JsonNode await(CompletableFuture<JsonNode> call) throws InterruptedException, ExecutionException {
    return call.get();
  }
}
