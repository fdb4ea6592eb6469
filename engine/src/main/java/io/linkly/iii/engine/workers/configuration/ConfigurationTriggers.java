package io.linkly.iii.engine.workers.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.TriggerProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code configuration} trigger type (BUILTINS.md §13): config {@code {configuration_id?,
 * event_types?, condition_function_id?}}, an omitted filter matching everything. Each event runs
 * on a task of its own and calls the matching handlers one after another; failures are logged.
 */
final class ConfigurationTriggers implements TriggerProvider {

  static final String TYPE = "configuration";
  static final Set<String> EVENT_TYPES = Set.of("configuration:registered", "configuration:updated", "configuration:deleted");
  private static final Logger log = LoggerFactory.getLogger(ConfigurationTriggers.class);

  private record Filter(String configurationId, Set<String> eventTypes, String conditionFunctionId) {
    boolean matches(String id, String eventType) {
      return (configurationId == null || configurationId.equals(id)) && (eventTypes == null || eventTypes.contains(eventType));
    }
  }

  private record Bound(TriggerBinding binding, Filter filter) {}

  private final Engine engine;
  private final Executor executor;
  private final Map<String, Bound> bindings = new ConcurrentHashMap<>();

  ConfigurationTriggers(Engine engine, Executor executor) {
    this.engine = engine;
    this.executor = executor;
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
      throw new TriggerRejectedException("Failed to parse trigger config: expected an object");
    }
    Set<String> types = null;
    JsonNode eventTypes = config.get("event_types");
    if (eventTypes != null && !eventTypes.isNull()) {
      if (!eventTypes.isArray()) {
        throw new TriggerRejectedException("Failed to parse trigger config: event_types must be a list of strings");
      }
      types = new java.util.HashSet<>();
      for (JsonNode type : eventTypes) {
        if (!type.isTextual() || !EVENT_TYPES.contains(type.textValue())) {
          throw new TriggerRejectedException(
              "Failed to parse trigger config: unknown event type " + type + " (expected configuration:registered, configuration:updated or configuration:deleted)");
        }
        types.add(type.textValue());
      }
    }
    return new Filter(string(config, "configuration_id"), types, string(config, "condition_function_id"));
  }

  private static String string(JsonNode config, String field) throws TriggerRejectedException {
    JsonNode value = config.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new TriggerRejectedException("Failed to parse trigger config: " + field + " must be a string");
    }
    return value.textValue();
  }

  /** Fans one event out; returns at once. */
  void fire(String id, String eventType, ObjectNode payload) {
    List<Bound> matching = new ArrayList<>();
    for (Bound b : bindings.values()) {
      if (b.filter().matches(id, eventType)) {
        matching.add(b);
      }
    }
    if (matching.isEmpty()) {
      return;
    }
    try {
      executor.execute(() -> deliver(matching, payload));
    } catch (RejectedExecutionException e) {
      // the engine is stopping
    }
  }

  private void deliver(List<Bound> matching, ObjectNode payload) {
    for (Bound b : matching) {
      TriggerBinding binding = b.binding();
      String condition = b.filter().conditionFunctionId();
      try {
        if (condition != null) {
          JsonNode verdict = engine.invoke(Call.of(condition, payload.deepCopy())).join();
          if (verdict != null && verdict.isBoolean() && !verdict.booleanValue()) {
            continue;
          }
        }
      } catch (RuntimeException e) {
        log.error("configuration trigger {}: condition {} failed, handler {} skipped: {}",
            LogSafe.escape(binding.id()), LogSafe.escape(condition), LogSafe.escape(binding.functionId()),
            LogSafe.escape(InvocationException.bodyOf(e).message()));
        continue;
      }
      try {
        engine.invoke(Call.of(binding.functionId(), payload.deepCopy(), binding.metadata())).join();
      } catch (RuntimeException e) {
        log.error("configuration trigger {}: handler {} failed: {}", LogSafe.escape(binding.id()),
            LogSafe.escape(binding.functionId()), LogSafe.escape(InvocationException.bodyOf(e).message()));
      }
    }
  }
}
