package io.linkly.iii.engine.workers.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.TriggerProvider;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code log} trigger type (BUILTINS.md §11.3): config {@code {level?}}, matched exactly and
 * case-insensitively against a stored log's severity text ({@code "error"} fires for errors only;
 * absent or {@code "all"} for every log). The payload is the stored log. Deliveries run on virtual
 * threads and never hold up the log's writer; past {@link #MAX_IN_FLIGHT} deliveries in flight,
 * further ones are dropped and counted.
 */
final class LogTriggers implements TriggerProvider {

  static final String TYPE = "log";
  static final int MAX_IN_FLIGHT = 1024;
  private static final Logger log = LoggerFactory.getLogger(LogTriggers.class);

  private record Bound(TriggerBinding binding, String level) {}

  private final Engine engine;
  private final Executor executor;
  private final Map<String, Bound> bindings = new ConcurrentHashMap<>();
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final AtomicLong dropped = new AtomicLong();

  LogTriggers(Engine engine, Executor executor) {
    this.engine = engine;
    this.executor = executor;
  }

  @Override
  public void register(TriggerBinding binding) throws TriggerRejectedException {
    JsonNode config = binding.config();
    String level = null;
    if (config != null && !config.isNull() && !config.isMissingNode()) {
      if (!config.isObject()) {
        throw new TriggerRejectedException("Failed to parse trigger config: expected a map with an optional level");
      }
      JsonNode value = config.get("level");
      if (value != null && !value.isNull()) {
        if (!value.isTextual()) {
          throw new TriggerRejectedException("Failed to parse trigger config: level must be a string");
        }
        level = value.textValue().toLowerCase(Locale.ROOT);
      }
    }
    bindings.put(binding.id(), new Bound(binding, level == null || level.equals("all") ? null : level));
  }

  @Override
  public void unregister(TriggerBinding binding) {
    bindings.remove(binding.id());
  }

  long dropped() {
    return dropped.get();
  }

  /** Fans a stored log out to the bindings of its level; returns at once. */
  void fire(ObjectNode stored) {
    if (bindings.isEmpty()) {
      return;
    }
    String level = stored.path("severity_text").asText("").toLowerCase(Locale.ROOT);
    for (Bound b : bindings.values()) {
      if (b.level() != null && !b.level().equals(level)) {
        continue;
      }
      if (!inFlight.tryAcquire()) {
        long n = dropped.incrementAndGet();
        if (n == 1 || n % 1000 == 0) {
          log.warn("log trigger deliveries are backed up ({} in flight); dropped {} so far", MAX_IN_FLIGHT, n);
        }
        continue;
      }
      TriggerBinding binding = b.binding();
      try {
        executor.execute(
            () ->
                engine
                    .invoke(Call.of(binding.functionId(), stored.deepCopy(), binding.metadata()))
                    .whenComplete(
                        (result, failure) -> {
                          inFlight.release();
                          if (failure != null) {
                            log.debug("log trigger {}: handler {} failed: {}",
                                LogSafe.escape(binding.id()), LogSafe.escape(binding.functionId()), LogSafe.escape(String.valueOf(failure.getMessage())));
                          }
                        }));
      } catch (RejectedExecutionException e) {
        inFlight.release(); // the engine is stopping
      }
    }
  }
}
