package io.linkly.iii.engine.workers.cron;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.TriggerProvider;
import io.linkly.iii.engine.workers.cron.adapter.CronLocks;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code cron} trigger type (BUILTINS.md §8): each binding {@code {expression,
 * condition_function_id?}} becomes a {@link CronJob} keyed by the binding id, which is also the
 * job id in payloads and lock keys. Rejections carry upstream's messages.
 */
final class CronTriggers implements TriggerProvider {

  static final String TYPE = "cron";
  private static final Logger log = LoggerFactory.getLogger(CronTriggers.class);
  private static final Duration STOP_WAIT = Duration.ofSeconds(5);

  private final Engine engine;
  private final CronLocks locks;
  private final Clock clock;
  private final Map<String, CronJob> jobs = new ConcurrentHashMap<>();
  /** Jobs whose loop has not ended yet, including stopped ones still on their way out. */
  private final Set<CronJob> running = ConcurrentHashMap.newKeySet();
  /** Orders registrations against {@link #close()}, so none starts a job after it. */
  private final ReentrantLock lifecycle = new ReentrantLock();
  private boolean closed;

  CronTriggers(Engine engine, CronLocks locks, Clock clock) {
    this.engine = engine;
    this.locks = locks;
    this.clock = clock;
  }

  @Override
  public void register(TriggerBinding binding) throws TriggerRejectedException {
    String id = binding.id();
    String text = string(binding.config(), "expression");
    if (text == null || text.isEmpty()) {
      log.error("iii-cron: cron expression is not set for trigger {}", LogSafe.escape(id));
      throw new TriggerRejectedException("Cron expression is required");
    }
    String condition = string(binding.config(), "condition_function_id");
    lifecycle.lock();
    try {
      if (closed) {
        throw new TriggerRejectedException("cron scheduler is shutting down; cannot register job '" + id + "'");
      }
      if (jobs.containsKey(id)) {
        throw new TriggerRejectedException("Cron job '" + id + "' is already registered");
      }
      CronExpression expression;
      try {
        expression = CronExpression.parse(text);
      } catch (InvalidCronExpressionException e) {
        throw new TriggerRejectedException(e.getMessage());
      }
      CronJob job = new CronJob(id, expression, binding.functionId(), condition, binding.metadata(), engine, locks, clock, running::remove);
      jobs.put(id, job);
      running.add(job);
      job.start();
    } finally {
      lifecycle.unlock();
    }
    log.info("[REGISTERED] Cron job {} ({}) → {}", LogSafe.escape(id), LogSafe.escape(text), LogSafe.escape(binding.functionId()));
  }

  @Override
  public void unregister(TriggerBinding binding) {
    CronJob job = jobs.remove(binding.id());
    if (job != null) {
      job.stop();
      log.info("[UNREGISTERED] Cron job {} → {}", LogSafe.escape(binding.id()), LogSafe.escape(binding.functionId()));
    }
  }

  /** Job loops still running; stopped ones count until their thread has ended. */
  int runningJobs() {
    return running.size();
  }

  /** Stops every job and waits (a few seconds at most) for their loops to end. */
  void close() {
    List<CronJob> stopping;
    lifecycle.lock();
    try {
      closed = true;
      stopping = new ArrayList<>(running);
      jobs.clear();
    } finally {
      lifecycle.unlock();
    }
    stopping.forEach(CronJob::stop);
    long deadline = System.nanoTime() + STOP_WAIT.toNanos();
    try {
      for (CronJob job : stopping) {
        Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
        if (!job.join(left)) {
          log.warn("iii-cron: job {} did not stop within {} s", LogSafe.escape(job.id()), STOP_WAIT.toSeconds());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Upstream reads config fields loosely: anything but a string counts as absent. */
  private static String string(JsonNode config, String field) {
    JsonNode value = config == null ? null : config.get(field);
    return value != null && value.isTextual() ? value.textValue() : null;
  }
}
