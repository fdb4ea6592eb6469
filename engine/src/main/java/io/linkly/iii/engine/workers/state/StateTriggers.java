package io.linkly.iii.engine.workers.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.TraceContext;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.TriggerProvider;
import io.linkly.iii.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code state} trigger type (BUILTINS.md §6.3). A binding's config is
 * {@code {scope?, key?, condition_function_id?}}; a present field must match exactly. After every
 * successful write the matching bindings are called one after another on a task of their own, so
 * the writer's result never waits for them; failures are logged, never returned.
 *
 * <p>Deliveries in flight are bounded: while {@code maxInFlight} events still have handlers running,
 * further events are dropped and counted (with a warning) rather than queued without limit.
 */
final class StateTriggers implements TriggerProvider {

  static final String TYPE = "state";
  static final int DEFAULT_MAX_IN_FLIGHT = 10_000;
  private static final Logger log = LoggerFactory.getLogger(StateTriggers.class);

  private record Filter(String scope, String key, String conditionFunctionId) {
    boolean matches(String eventScope, String eventKey) {
      return (scope == null || scope.equals(eventScope)) && (key == null || key.equals(eventKey));
    }
  }

  private record Bound(TriggerBinding binding, Filter filter) {}

  private final Engine engine;
  private final Executor executor;
  private final Map<String, Bound> bindings = new ConcurrentHashMap<>();
  private final int maxInFlight;
  private final Semaphore inFlight;
  private final AtomicLong dropped = new AtomicLong();
  private volatile boolean enabled;

  StateTriggers(Engine engine, Executor executor, boolean enabled, int maxInFlight) {
    this.engine = engine;
    this.executor = executor;
    this.enabled = enabled;
    this.maxInFlight = maxInFlight;
    this.inFlight = new Semaphore(maxInFlight);
  }

  void enabled(boolean value) {
    enabled = value;
  }

  long droppedEvents() {
    return dropped.get();
  }

  /** Deliveries started and not yet finished. */
  int deliveriesInFlight() {
    return maxInFlight - inFlight.availablePermits();
  }

  @Override
  public void register(TriggerBinding binding) throws TriggerRejectedException {
    bindings.put(binding.id(), new Bound(binding, parse(binding.config())));
  }

  @Override
  public void unregister(TriggerBinding binding) {
    bindings.remove(binding.id());
  }

  private static Filter parse(JsonNode config) throws TriggerRejectedException {
    if (config == null || config.isNull() || config.isMissingNode()) {
      return new Filter(null, null, null);
    }
    if (!config.isObject()) {
      throw new TriggerRejectedException(
          "Failed to parse trigger config: invalid type: " + describe(config) + ", expected struct StateTriggerConfig");
    }
    return new Filter(
        optionalString(config, "scope"),
        optionalString(config, "key"),
        optionalString(config, "condition_function_id"));
  }

  private static String optionalString(JsonNode config, String field) throws TriggerRejectedException {
    JsonNode value = config.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new TriggerRejectedException(
          "Failed to parse trigger config: invalid type: " + describe(value) + ", expected a string (field `"
              + field + "`)");
    }
    return value.textValue();
  }

  private static String describe(JsonNode value) {
    return switch (value.getNodeType()) {
      case STRING -> "string " + value;
      case NUMBER -> (value.isIntegralNumber() ? "integer `" : "floating point `") + value + "`";
      case BOOLEAN -> "boolean `" + value + "`";
      case ARRAY -> "sequence";
      case OBJECT -> "map";
      default -> "null";
    };
  }

  /** As {@link #fire(String, String, String, JsonNode, JsonNode, TraceContext)}, outside any trace. */
  void fire(String eventType, String scope, String key, JsonNode oldValue, JsonNode newValue) {
    fire(eventType, scope, key, oldValue, newValue, null);
  }

  /**
   * Fans one change out to the matching bindings; returns at once. {@code oldValue} null = none. The
   * deliveries carry {@code origin}, the writing call's trace context (null: none).
   */
  void fire(String eventType, String scope, String key, JsonNode oldValue, JsonNode newValue, TraceContext origin) {
    if (!enabled || bindings.isEmpty()) {
      return;
    }
    List<Bound> matching = new ArrayList<>();
    for (Bound b : bindings.values()) {
      if (b.filter().matches(scope, key)) {
        matching.add(b);
      }
    }
    if (matching.isEmpty()) {
      return;
    }
    ObjectNode payload = Json.object();
    payload.put("type", "state");
    payload.put("event_type", eventType);
    payload.put("scope", scope);
    payload.put("key", key);
    payload.set("old_value", oldValue == null ? NullNode.getInstance() : oldValue);
    payload.set("new_value", newValue == null ? NullNode.getInstance() : newValue);
    if (!inFlight.tryAcquire()) {
      long n = dropped.incrementAndGet();
      if (n == 1 || n % 1000 == 0) {
        log.warn(
            "state trigger deliveries are backed up ({} events in flight); dropped {} event(s) so far, latest {} {}/{}",
            maxInFlight, n, eventType, scope, key);
      }
      return;
    }
    try {
      executor.execute(() -> {
        try {
          deliver(matching, payload, origin);
        } finally {
          inFlight.release();
        }
      });
    } catch (RejectedExecutionException e) {
      inFlight.release(); // the engine is stopping
    }
  }

  /** Runs on a virtual thread: each binding in turn, condition first (BUILTINS.md §0.4). */
  private void deliver(List<Bound> matching, ObjectNode payload, TraceContext origin) {
    for (Bound b : matching) {
      TriggerBinding binding = b.binding();
      String condition = b.filter().conditionFunctionId();
      if (condition != null) {
        try {
          JsonNode verdict = engine.invoke(TraceContext.apply(origin, Call.of(condition, payload))).join();
          if (verdict != null && verdict.isBoolean() && !verdict.booleanValue()) {
            continue;
          }
        } catch (RuntimeException e) {
          log.error(
              "state trigger {}: condition {} failed, handler {} skipped: {}",
              LogSafe.escape(binding.id()), condition, LogSafe.escape(binding.functionId()), LogSafe.escape(message(e)));
          continue;
        }
      }
      try {
        engine.invoke(TraceContext.apply(origin, Call.of(binding.functionId(), payload, binding.metadata()))).join();
      } catch (RuntimeException e) {
        log.error("state trigger {}: handler {} failed: {}", LogSafe.escape(binding.id()), LogSafe.escape(binding.functionId()), LogSafe.escape(message(e)));
      }
    }
  }

  private static String message(Throwable e) {
    Throwable t = e.getCause() != null ? e.getCause() : e;
    return String.valueOf(t.getMessage());
  }
}
