package io.linkly.iii.engine.workers.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.protocol.ErrorBody;
import io.linkly.iii.protocol.Json;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configuration-worker pattern every configurable built-in follows (BUILTINS.md §0.5), once:
 *
 * <ol>
 *   <li>{@link #open}: registers the worker's id with its schema, seeding it with the config.yaml
 *       block as written (placeholders unexpanded, so the stored value keeps following the
 *       environment) only when nothing is stored yet, and returns the value to start with (the stored
 *       one wins; one that does not parse leaves the yaml block in force, logged);
 *   <li>{@link #watch}: registers {@code <id>::on-config-change} (internal) and the trigger
 *       {@code <id>::config-watch}, then applies once to catch up. The handler ignores its payload
 *       and reads the value again, so calling it cannot inject settings.
 * </ol>
 *
 * Applies are serialized; an apply that throws keeps the previous settings (one warning). Every
 * call to the configuration worker waits at most 10 s. Without a {@code configuration} worker
 * (a custom catalogue) the yaml block is used as is and nothing is watched.
 */
public final class LiveConfig {

  /** Parses a value into a worker's settings; the message of a failure names the key at fault. */
  @FunctionalInterface
  public interface Parser<T> {
    T parse(WorkerEntry entry) throws ConfigException;
  }

  /** Applies new settings; throwing keeps the previous ones. */
  @FunctionalInterface
  public interface Applier<T> {
    void apply(T settings) throws Exception;
  }

  private static final Logger log = LoggerFactory.getLogger(LiveConfig.class);
  private static final long CALL_TIMEOUT_SECONDS = 10;

  private final Engine engine;
  private final String id;
  private final Parser<?> parser;
  private final ReentrantLock applying = new ReentrantLock();
  private final Set<String> restartNoticed = ConcurrentHashMap.newKeySet();
  private volatile JsonNode applied;
  private Applier<Object> applier;

  private LiveConfig(Engine engine, String id, Parser<?> parser) {
    this.engine = engine;
    this.id = id;
    this.parser = parser;
  }

  /** The settings a worker starts with, and the handle to {@link #watch} them afterwards. */
  public record Opened<T>(T settings, LiveConfig live) {}

  /**
   * Steps 2–3: registers {@code id} with {@code schema} (seeded with {@code yamlBlock} when nothing
   * is stored yet) and returns the settings to start with: the stored value's when it parses,
   * else {@code yamlSettings}.
   */
  public static <T> Opened<T> open(
      Engine engine, String id, String displayName, String description, String schema, JsonNode yamlBlock,
      T yamlSettings, Parser<T> parser) {
    LiveConfig live = new LiveConfig(engine, id, parser);
    if (engine.function("configuration::register").isEmpty()) {
      return new Opened<>(yamlSettings, live);
    }
    JsonNode seed = yamlBlock == null || yamlBlock.isNull() || yamlBlock.isMissingNode() ? Json.object() : yamlBlock;
    ObjectNode register = Json.object();
    register.put("id", id);
    register.put("name", displayName);
    register.put("description", description);
    register.set("schema", parse(schema));
    Optional<JsonNode> stored;
    try {
      stored = live.read(true);
      if (stored.isEmpty()) {
        register.set("initial_value", seed);
      }
      live.call("configuration::register", register);
    } catch (InvocationException e) {
      log.warn("{}: could not register its configuration ({}); running with config.yaml's settings", id, LogSafe.escape(e.getMessage()));
      return new Opened<>(yamlSettings, live);
    }
    Optional<JsonNode> value = live.read(false);
    if (value.isEmpty()) {
      return new Opened<>(yamlSettings, live);
    }
    try {
      T settings = parser.parse(live.entry(value.get()));
      live.applied = value.get();
      if (stored.isPresent() && !stored.get().equals(seed) && yamlBlock != null && !yamlBlock.isNull() && !yamlBlock.isMissingNode()) {
        log.info("{}: the config.yaml block is not read any more; the stored value in the configuration worker wins"
            + " (edit it with configuration::set, or in its file)", id);
      }
      return new Opened<>(settings, live);
    } catch (ConfigException e) {
      log.warn("{}: the stored configuration is not usable, running with config.yaml's settings: {}", id, LogSafe.escape(e.getMessage()));
      return new Opened<>(yamlSettings, live);
    }
  }

  /**
   * Steps 4–5: from now on a change of the stored value is parsed and handed to {@code apply}.
   * Runs one catch-up apply before it returns.
   */
  @SuppressWarnings("unchecked")
  public <T> void watch(Worker self, Executor blocking, Applier<T> apply) {
    if (engine.function("configuration::register").isEmpty()) {
      return;
    }
    this.applier = (Applier<Object>) apply;
    String handler = id + "::on-config-change";
    ObjectNode internal = Json.object();
    internal.put("internal", true);
    engine.registerFunction(
        self,
        FunctionDefinition.of(handler, "Applies a change of " + id + "'s configuration").withMetadata(internal),
        BuiltinFunction.blocking(blocking, call -> {
          refresh();
          return null;
        }));
    ObjectNode trigger = Json.object();
    trigger.put("configuration_id", id);
    trigger.putArray("event_types").add("configuration:updated");
    engine.registerTrigger(new TriggerBinding(id + "::config-watch", "configuration", handler, trigger, null, self.id()))
        .ifPresent(error -> log.warn("{}: configuration changes will not be applied: {}", id, LogSafe.escape(error)));
    refresh();
  }

  /** Reads the stored value and applies it if it changed. */
  public void refresh() {
    applying.lock();
    try {
      Optional<JsonNode> value = read(false);
      if (value.isEmpty() || value.get().equals(applied)) {
        return;
      }
      Object settings;
      try {
        settings = parser.parse(entry(value.get()));
      } catch (ConfigException e) {
        log.warn("{}: configuration change refused, keeping the previous settings: {}", id, LogSafe.escape(e.getMessage()));
        return;
      }
      try {
        applier.apply(settings);
        applied = value.get();
      } catch (Exception e) {
        log.warn("{}: configuration change could not be applied, keeping the previous settings: {}", id,
            LogSafe.escape(String.valueOf(e.getMessage())));
      }
    } finally {
      applying.unlock();
    }
  }

  /** Logs, once per key, that a changed setting takes effect at the next start. */
  public void needsRestart(String key, Object was, Object now) {
    if (Objects.equals(was, now)) {
      return;
    }
    if (restartNoticed.add(key)) {
      log.warn("{}: '{}' changed; it takes effect when the engine restarts", id, key);
    }
  }

  /** The stored value ({@code raw}: unexpanded); empty when there is none or it cannot be used (logged). */
  private Optional<JsonNode> read(boolean raw) {
    ObjectNode get = Json.object();
    get.put("id", id);
    get.put("raw", raw);
    try {
      JsonNode result = call("configuration::get", get);
      JsonNode value = result == null ? null : result.get("value");
      return value == null || value.isNull() ? Optional.empty() : Optional.of(value);
    } catch (InvocationException e) {
      if (!"NOT_FOUND".equals(e.error().code())) {
        log.warn("{}: stored configuration not loaded: {}", id, LogSafe.escape(e.getMessage()));
      }
      return Optional.empty();
    }
  }

  private JsonNode call(String function, JsonNode input) {
    try {
      return engine.invoke(Call.of(function, input)).get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      ErrorBody body = InvocationException.bodyOf(e.getCause());
      throw new InvocationException(body);
    } catch (TimeoutException e) {
      throw new InvocationException("TIMEOUT", function + " did not answer within " + CALL_TIMEOUT_SECONDS + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InvocationException("INTERRUPTED", function + " was interrupted");
    }
  }

  private WorkerEntry entry(JsonNode value) {
    // an empty mapping means what no block means (observability's defaults differ between the two)
    JsonNode block = value.isObject() && value.isEmpty() ? null : value;
    return new WorkerEntry(id, block, "configuration '" + id + "'");
  }

  private static JsonNode parse(String schema) {
    try {
      return Json.mapper().readTree(schema);
    } catch (IOException e) {
      throw new IllegalStateException("bad built-in schema: " + schema, e);
    }
  }
}
