package io.linkly.iii.engine.workers.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.TraceContext;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.TriggerProvider;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three trigger types of {@code iii-stream} (BUILTINS.md §4.5). {@code stream} handlers run
 * after the write, on their own tasks, each binding in order per group with a window of calls
 * awaiting answers (see {@link TriggerLane}); they never delay the writer, the WebSocket
 * subscribers or each other.
 */
final class StreamTriggers {

  private static final Logger log = LoggerFactory.getLogger(StreamTriggers.class);

  private record StreamBinding(TriggerBinding binding, String group, String item, String condition) {
    boolean matches(StreamEvent event) {
      return (group == null || group.equals(event.group())) && (item == null || item.equals(event.itemId()));
    }
  }

  private final Engine engine;
  private final Executor executor;
  /** {@code stream} bindings by stream name; re-registering an id replaces it (upstream appends). */
  private final Map<String, Map<String, StreamBinding>> byStream = new ConcurrentHashMap<>();
  private final List<TriggerBinding> joins = new CopyOnWriteArrayList<>();
  /** One delivery lane per binding and stream group: a group's changes reach each handler in order. */
  private final Map<String, TriggerLane> lanes = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong();
  private final List<TriggerBinding> leaves = new CopyOnWriteArrayList<>();

  StreamTriggers(Engine engine, Executor executor) {
    this.engine = engine;
    this.executor = executor;
  }

  final TriggerProvider stream =
      new TriggerProvider() {
        @Override
        public void register(TriggerBinding binding) throws TriggerRejectedException {
          JsonNode config = binding.config();
          String name = text(config, "stream_name");
          if (name == null || name.isEmpty()) {
            throw new TriggerRejectedException("stream trigger requires stream_name (a non-empty string)");
          }
          StreamBinding entry =
              new StreamBinding(binding, blankToNull(text(config, "group_id")), blankToNull(text(config, "item_id")),
                  blankToNull(text(config, "condition_function_id")));
          byStream.values().forEach(m -> m.remove(binding.id()));
          byStream.computeIfAbsent(name, n -> new ConcurrentHashMap<>()).put(binding.id(), entry);
        }

        @Override
        public void unregister(TriggerBinding binding) {
          byStream.values().forEach(m -> m.remove(binding.id()));
          lanes.keySet().removeIf(key -> key.startsWith(binding.id() + '\u0000'));
        }
      };

  final TriggerProvider join = listProvider(joins);
  final TriggerProvider leave = listProvider(leaves);

  private static TriggerProvider listProvider(List<TriggerBinding> into) {
    return new TriggerProvider() {
      @Override
      public void register(TriggerBinding binding) {
        into.removeIf(b -> b.id().equals(binding.id()));
        into.add(binding);
      }

      @Override
      public void unregister(TriggerBinding binding) {
        into.removeIf(b -> b.id().equals(binding.id()));
      }
    };
  }

  /**
   * Fires the {@code stream} bindings matching a change; returns at once. The deliveries carry
   * {@code origin}, the writing call's trace context (null: they start traces of their own).
   */
  void fire(StreamEvent event, TraceContext origin) {
    Map<String, StreamBinding> bindings = byStream.get(event.stream());
    if (bindings == null || bindings.isEmpty()) {
      return;
    }
    List<StreamBinding> matching = bindings.values().stream().filter(b -> b.matches(event)).toList();
    if (matching.isEmpty()) {
      return;
    }
    ObjectNode payload = event.tree();
    for (StreamBinding b : matching) {
      String key = b.binding().id() + '\u0000' + event.stream() + '\u0000' + event.group();
      Supplier<CompletableFuture<Void>> delivery = () -> runOne(b, payload.deepCopy(), origin);
      while (!lanes.computeIfAbsent(key, k -> new TriggerLane(executor, dropped, () -> retire(k))).submit(delivery)) {
        // the lane went idle and was retired meanwhile: the next turn finds a fresh one
      }
    }
  }

  /** Drops a lane that has nothing to do; one retired this way takes no more deliveries. */
  private void retire(String key) {
    lanes.computeIfPresent(key, (k, lane) -> lane.retireIfIdle() ? null : lane);
  }

  /** Changes not delivered to triggers because a group's lane was full (a metric). */
  long droppedCount() {
    return dropped.get();
  }

  private CompletableFuture<Void> runOne(StreamBinding b, ObjectNode payload, TraceContext origin) {
    CompletableFuture<Boolean> proceed =
        b.condition() == null
            ? CompletableFuture.completedFuture(true)
            : engine
                .invoke(TraceContext.apply(origin, Call.of(b.condition(), payload.deepCopy(), b.binding().metadata())))
                .handle(
                    (r, e) -> {
                      if (e != null) {
                        log.warn("stream trigger {}: condition {} failed: {}", LogSafe.escape(b.binding().id()), LogSafe.escape(b.condition()), LogSafe.escape(e.getMessage()));
                        return false;
                      }
                      return r == null || !(r.isBoolean() && !r.booleanValue());
                    });
    return proceed.thenCompose(
        go ->
            go
                ? engine
                    .invoke(TraceContext.apply(origin, Call.of(b.binding().functionId(), payload, b.binding().metadata())))
                    .handle(
                        (r, e) -> {
                          if (e != null) {
                            log.warn("stream trigger {} -> {} failed: {}", LogSafe.escape(b.binding().id()), LogSafe.escape(b.binding().functionId()), LogSafe.escape(e.getMessage()));
                          }
                          return null;
                        })
                : CompletableFuture.completedFuture(null));
  }

  /**
   * Runs every {@code stream:join} binding in turn; completes with true when none answered
   * {@code {unauthorized: true}}.
   */
  CompletableFuture<Boolean> authorizeJoin(ObjectNode payload) {
    CompletableFuture<Boolean> chain = CompletableFuture.completedFuture(true);
    for (TriggerBinding b : joins) {
      chain =
          chain.thenCompose(
              ok ->
                  !ok
                      ? CompletableFuture.completedFuture(false)
                      : engine
                          .invoke(Call.of(b.functionId(), payload.deepCopy(), b.metadata()))
                          .handle(
                              (r, e) -> {
                                if (e != null) {
                                  log.warn("stream:join handler {} failed: {}", LogSafe.escape(b.functionId()), LogSafe.escape(e.getMessage()));
                                  return true;
                                }
                                return !(r != null && r.path("unauthorized").isBoolean() && r.path("unauthorized").booleanValue());
                              }));
    }
    return chain;
  }

  /** Tells every {@code stream:leave} binding; results are ignored. */
  void left(ObjectNode payload) {
    for (TriggerBinding b : leaves) {
      engine
          .invoke(Call.of(b.functionId(), payload.deepCopy(), b.metadata()))
          .whenComplete(
              (r, e) -> {
                if (e != null) {
                  log.debug("stream:leave handler {} failed: {}", LogSafe.escape(b.functionId()), LogSafe.escape(e.getMessage()));
                }
              });
    }
  }

  private static String text(JsonNode config, String field) {
    JsonNode value = config == null ? null : config.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
