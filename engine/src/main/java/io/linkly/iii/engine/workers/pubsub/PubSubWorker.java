package io.linkly.iii.engine.workers.pubsub;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.RepeatedWarning;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.TriggerProvider;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.EngineContext;
import io.linkly.iii.engine.workers.Input;
import io.linkly.iii.engine.workers.pubsub.adapter.LocalPubSub;
import io.linkly.iii.engine.workers.pubsub.adapter.PubSubBackend;
import io.linkly.iii.engine.workers.pubsub.adapter.RedisPubSub;
import io.linkly.iii.protocol.Json;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import io.linkly.iii.engine.workers.configuration.LiveConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code iii-pubsub} (BUILTINS.md §5): the {@code publish} function and the {@code subscribe}
 * trigger type. A handler receives the published {@code data} as is: no envelope, no topic, and no
 * binding metadata (upstream's pubsub uses the plain call).
 *
 * <p>Delivery is fire-and-forget and at most once: {@code publish} returns as soon as the backend
 * has the event, and each binding's handler is called on its own, concurrently, with failures
 * only logged. Unlike upstream, every binding of a topic is a subscriber of its own: all of them
 * get every event, and removing one never removes another, with either adapter.
 *
 * <p>{@code condition_function_id}, which upstream accepts but ignores, is applied here with the
 * engine-wide rule (BUILTINS.md §0.4): the condition gets the same payload, only a JSON
 * {@code false} skips the handler, and a failing condition skips it too (logged).
 */
public final class PubSubWorker implements BuiltinWorker, TriggerProvider {

  public static final String NAME = "iii-pubsub";
  public static final String TRIGGER_TYPE = "subscribe";
  public static final String PUBLISH = "publish";
  static final String TOPIC_NOT_SET = "topic_not_set";

  private static final Logger log = LoggerFactory.getLogger(PubSubWorker.class);
  private static final String PUBLISH_REQUEST =
      "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"title\":\"PubSubInput\",\"type\":\"object\","
          + "\"required\":[\"data\",\"topic\"],\"properties\":{"
          + "\"topic\":{\"description\":\"Topic to publish to. Subscribers registered for this topic receive the event.\",\"type\":\"string\"},"
          + "\"data\":{\"description\":\"JSON payload delivered to each subscriber.\"}}}";

  private PubSubConfig config;
  /** The config.yaml block: the first boot's seed of the stored configuration. */
  private final JsonNode yamlBlock;
  private final Map<String, Subscription> bindings = new ConcurrentHashMap<>();
  /** Held while the subscriptions change: a binding change and an adapter swap never interleave. */
  private final ReentrantLock subscriptions = new ReentrantLock();
  private Engine engine;
  private volatile PubSubBackend backend;
  private LiveConfig live;

  private PubSubWorker(PubSubConfig config, JsonNode yamlBlock) {
    this.config = config;
    this.yamlBlock = yamlBlock;
  }

  public static PubSubWorker fromConfig(WorkerEntry entry) throws ConfigException {
    return new PubSubWorker(PubSubConfig.fromConfig(entry), entry.seed());
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void start(EngineContext context) {
    engine = context.engine();
    LiveConfig.Opened<PubSubConfig> opened =
        LiveConfig.open(engine, NAME, "PubSub", "Topic pub/sub: the adapter (local or redis)", PubSubConfig.SCHEMA, yamlBlock, config,
            PubSubConfig::fromConfig);
    config = opened.settings();
    live = opened.live();
    backend = backend(config);
    Worker self = engine.registerBuiltinWorker(NAME);
    engine.registerFunction(
        self,
        FunctionDefinition.of(PUBLISH, "Publishes an event").withRequestFormat(schema(PUBLISH_REQUEST)),
        this::publish);
    engine.registerTriggerType(self, TRIGGER_TYPE, "Subscribe to a topic", this);
    live.watch(self, context.blocking(), this::apply);
  }

  private static PubSubBackend backend(PubSubConfig config) {
    return switch (config.adapter()) {
      case LOCAL -> new LocalPubSub();
      case REDIS -> RedisPubSub.connect(config.redisUrl());
    };
  }

  /**
   * An adapter change (BUILTINS.md §5): the new backend is built, every live subscription is
   * subscribed on it, and only once those are in effect does it take over and the old one close,
   * so no subscriber is dropped (upstream #1878). A publish during the swap may be heard twice.
   * A backend that cannot be built (Redis unreachable) leaves the old one in place.
   */
  private void apply(PubSubConfig next) throws Exception {
    if (next.equals(config)) {
      return;
    }
    PubSubBackend fresh = backend(next);
    subscriptions.lock();
    try {
      for (Subscription s : bindings.values()) {
        if (!s.topic.isEmpty()) {
          fresh.subscribe(s.topic, s);
        }
      }
      try {
        fresh.subscriptionsInEffect().get(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        fresh.close();
        throw new IllegalStateException("the new adapter did not take the subscriptions: " + e);
      }
      PubSubBackend old = backend;
      backend = fresh;
      old.close();
    } finally {
      subscriptions.unlock();
    }
    log.info("iii-pubsub: adapter changed from {} to {}; {} subscription(s) moved over", config.adapter().name().toLowerCase(),
        next.adapter().name().toLowerCase(), bindings.size());
    config = next;
  }

  // ------------------------------------------------------------------ publish

  private CompletableFuture<JsonNode> publish(Call call) {
    String topic;
    JsonNode data;
    try {
      Input in = Input.of(call);
      topic = in.requiredString("topic");
      data = in.requiredTree("data");
    } catch (InvocationException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (topic.isEmpty()) {
      return CompletableFuture.failedFuture(new InvocationException(TOPIC_NOT_SET, "Topic is not set"));
    }
    // Backend failures are logged, not returned: publish is fire-and-forget, as upstream.
    return backend
        .publish(topic, data, call.traceparent(), call.baggage())
        .handle(
            (ok, failure) -> {
              if (failure != null) {
                log.warn("publish to topic {} was dropped: {}", LogSafe.escape(topic), LogSafe.escape(InvocationException.bodyOf(failure).message()));
              }
              return null;
            });
  }

  // ------------------------------------------------------------------ subscribe trigger

  @Override
  public void register(TriggerBinding binding) {
    subscriptions.lock();
    try {
      subscribe(binding);
    } finally {
      subscriptions.unlock();
    }
  }

  private void subscribe(TriggerBinding binding) {
    Subscription subscription = subscription(binding);
    Subscription previous = bindings.put(binding.id(), subscription);
    if (previous != null) {
      previous.leave();
    }
    if (subscription.topic.isEmpty()) {
      // Upstream accepts such a binding and leaves it inert.
      log.warn("subscribe trigger {} for {} has no topic; it will never fire", LogSafe.escape(binding.id()), LogSafe.escape(binding.functionId()));
      return;
    }
    backend.subscribe(subscription.topic, subscription);
    log.info("[REGISTERED] PubSub subscription {} → {}", LogSafe.escape(subscription.topic), LogSafe.escape(binding.functionId()));
  }

  @Override
  public void unregister(TriggerBinding binding) {
    subscriptions.lock();
    try {
      Subscription subscription = bindings.remove(binding.id());
      if (subscription != null) {
        subscription.leave();
      }
    } finally {
      subscriptions.unlock();
    }
  }

  @Override
  public void close() {
    bindings.clear();
    if (backend != null) {
      backend.close();
    }
  }

  private Subscription subscription(TriggerBinding binding) {
    JsonNode config = binding.config() == null ? Json.object() : binding.config();
    JsonNode topic = config.path("topic");
    JsonNode condition = config.path("condition_function_id");
    return new Subscription(
        binding.id(),
        topic.isTextual() ? topic.textValue() : "",
        binding.functionId(),
        condition.isTextual() && !condition.textValue().isEmpty() ? condition.textValue() : null);
  }

  /** One binding: a subscriber of its own, however many others share its topic. */
  private final class Subscription implements PubSubBackend.Listener {

    final String bindingId;
    final String topic;
    final String functionId;
    final String conditionFunctionId;
    /**
     * A subscriber failing under load fails for every event: one line per 10 s, with the count;
     * its condition and its handler counted apart, so that each line's count is of its own kind.
     */
    final RepeatedWarning conditionFailures = new RepeatedWarning(log, 10_000);
    final RepeatedWarning failures = new RepeatedWarning(log, 10_000);

    private Subscription(String bindingId, String topic, String functionId, String conditionFunctionId) {
      this.bindingId = bindingId;
      this.topic = topic;
      this.functionId = functionId;
      this.conditionFunctionId = conditionFunctionId;
    }

    void leave() {
      if (!topic.isEmpty()) {
        backend.unsubscribe(topic, this);
      }
    }

    @Override
    public void onEvent(JsonNode data, String traceparent, String baggage) {
      if (conditionFunctionId == null) {
        call(data, traceparent, baggage);
        return;
      }
      engine
          .invoke(Call.of(conditionFunctionId, payloadFor(conditionFunctionId, data)).withTrace(traceparent, baggage))
          .whenComplete(
              (verdict, failure) -> {
                if (failure != null) {
                  conditionFailures.warn(
                      "condition {} of subscribe trigger {} failed; skipping {}: {}",
                      LogSafe.escape(conditionFunctionId), LogSafe.escape(bindingId), LogSafe.escape(functionId), LogSafe.escape(InvocationException.bodyOf(failure).message()));
                } else if (verdict == null || !verdict.isBoolean() || verdict.booleanValue()) {
                  call(data, traceparent, baggage);
                }
              });
    }

    /** The subscriber's call carries the publishing call's trace context: it nests under the publish. */
    private void call(JsonNode data, String traceparent, String baggage) {
      engine
          .invoke(Call.of(functionId, payloadFor(functionId, data)).withTrace(traceparent, baggage))
          .whenComplete(
              (result, failure) -> {
                if (failure != null) {
                  failures.warn(
                      "subscriber {} of topic {} failed: {}", LogSafe.escape(functionId), LogSafe.escape(topic), LogSafe.escape(InvocationException.bodyOf(failure).message()));
                }
              });
    }
  }

  /**
   * Remote handlers only read the payload (it is encoded once per frame), so they share one tree;
   * an in-process handler may keep or change what it gets, so it gets a copy of its own.
   */
  private JsonNode payloadFor(String functionId, JsonNode data) {
    return engine.function(functionId).map(f -> f.builtin() != null).orElse(false) ? data.deepCopy() : data;
  }

  private static JsonNode schema(String text) {
    try {
      return Json.mapper().readTree(text);
    } catch (IOException e) {
      throw new IllegalStateException("bad built-in schema: " + text, e);
    }
  }
}
