package io.linkly.iii.engine.workers.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.Router;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.TriggerProvider;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.metrics.MetricWriter;
import io.linkly.iii.engine.metrics.Registration;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.DataDirectory;
import io.linkly.iii.engine.workers.EngineContext;
import io.linkly.iii.engine.workers.Input;
import io.linkly.iii.engine.workers.StartupException;
import io.linkly.iii.engine.workers.configuration.LiveConfig;
import io.linkly.iii.engine.workers.queue.adapter.BuiltinQueue;
import io.linkly.iii.engine.workers.queue.adapter.DeadLetter;
import io.linkly.iii.engine.workers.queue.adapter.MessageHandler;
import io.linkly.iii.engine.workers.queue.adapter.QueueBackend;
import io.linkly.iii.engine.workers.queue.adapter.QueueException;
import io.linkly.iii.engine.workers.queue.adapter.QueueMessage;
import io.linkly.iii.engine.workers.queue.adapter.QueueSpec;
import io.linkly.iii.engine.workers.queue.adapter.QueueStats;
import io.linkly.iii.engine.workers.queue.adapter.RabbitQueue;
import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.Uuids;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code iii-queue} (BUILTINS.md §7), opt-in as upstream: named queues from {@code queue_configs},
 * served through {@code engine::queue::enqueue} (the provider behind {@code TriggerAction.Enqueue}),
 * durable topics ({@code iii::durable::publish} and the {@code durable:subscriber} trigger), retries
 * with exponential backoff ({@link Retry}), a dead-letter queue per queue, and the console's
 * {@code engine::queue::*} and {@code iii::queue::*} functions. Delivery is at-least-once: a
 * message is stored durably before its enqueue is acknowledged, and removed only after its
 * handler succeeded, so a handler must tolerate seeing a message twice.
 *
 * <p>Each attempt is bounded by {@code attempt_timeout_ms} (default 300000): upstream waits for a
 * handler forever, which would let one hung worker hold a consumer slot for good. A timed-out
 * attempt counts as failed; the handler may still finish later (at-least-once again).
 */
public final class QueueWorker implements BuiltinWorker, TriggerProvider {

  public static final String NAME = "iii-queue";
  public static final String TRIGGER_TYPE = "durable:subscriber";
  private static final Logger log = LoggerFactory.getLogger(QueueWorker.class);

  /** How long a configuration change may wait for the consumer work queued before it. */
  private static final long APPLY_WAIT_SECONDS = 60;

  private volatile QueueConfig config;
  private final JsonNode yamlBlock;
  private final String configPath;
  /** The named queues' specs, replaced whole when the configuration changes (read from event loops). */
  private volatile Map<String, QueueSpec> named = Map.of();
  /** Transports replaced by an adapter change, still delivering what they hold. */
  private final List<DrainingTransport> draining = new CopyOnWriteArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Subscriber> byBinding = new HashMap<>();
  private final Map<String, List<Subscriber>> byQueue = new HashMap<>();
  private final Map<String, RateMeter> enqueueRates = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, RateMeter> drainRates = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, RateMeter> failedAttempts = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile QueueBackend backend;
  private Engine engine;
  private ExecutorService blocking;
  private Registration metrics;
  private Clock clock;
  private SerialTasks setup;

  /** One {@code durable:subscriber} binding; replicas of a function share its queue. */
  private record Subscriber(String bindingId, String topic, String functionId, String condition, QueueSpec spec, long attemptTimeoutMs) {}

  /** {@code configPath}: where the block was configured, such as {@code workers[5].config}, to name a key in errors. */
  public QueueWorker(QueueConfig config, JsonNode yamlBlock, String configPath) {
    this.config = config;
    this.yamlBlock = yamlBlock;
    this.configPath = configPath;
  }

  public static QueueWorker fromConfig(WorkerEntry entry) throws ConfigException {
    ConfigBlock block = ConfigBlock.of(entry);
    return new QueueWorker(QueueConfig.from(block), entry.seed(), block.path());
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The transport, for tests and diagnostics. */
  public QueueBackend backend() {
    return backend;
  }

  @Override
  public void start(EngineContext context) throws Exception {
    engine = context.engine();
    blocking = context.blocking();
    clock = context.clock();
    setup = new SerialTasks(blocking);
    LiveConfig.Opened<QueueConfig> opened =
        LiveConfig.open(engine, NAME, "Queue", "Durable queues: the transport (builtin or rabbitmq) and the named queues",
            QueueConfig.SCHEMA, yamlBlock, config, entry -> QueueConfig.from(ConfigBlock.of(entry)));
    config = opened.settings();
    backend = open(config.adapter());
    engine.registerHealthCheck("queue_store", () -> backend.health());
    try {
      named = consumeNamed(backend, config.queues(), Map.of());
    } catch (QueueException | RuntimeException e) {
      backend.close();
      throw new IllegalStateException("iii-queue: " + e.getMessage(), e);
    }
    Worker self = engine.registerBuiltinWorker(NAME);
    engine.registerFunction(self, FunctionDefinition.of(EnqueueAction.FUNCTION, "Enqueue a message on a named queue (TriggerAction.Enqueue)"), this::enqueue);
    EnqueueAction.install(engine);
    engine.registerFunction(self, FunctionDefinition.of("iii::durable::publish", "Enqueue a message"), this::publish);
    admin(self, "iii::queue::redrive", "Redrive all DLQ messages back to the main queue", this::redrive);
    admin(self, "iii::queue::redrive_message", "Redrive a single DLQ message by ID back to the main queue", call -> single(call, true));
    admin(self, "iii::queue::discard_message", "Discard (purge) a single DLQ message by ID", call -> single(call, false));
    admin(self, "engine::queue::list_topics", "List all queue topics", this::listTopics);
    admin(self, "engine::queue::topic_stats", "Get stats for a queue topic", this::topicStats);
    admin(self, "engine::queue::dlq_topics", "List DLQ topics with counts", this::dlqTopics);
    admin(self, "engine::queue::dlq_messages", "Browse DLQ messages", this::dlqMessages);
    engine.registerTriggerType(self, TRIGGER_TYPE, "Durable topic subscription with retries and a dead-letter queue", this);
    metrics = engine.metrics().collector(this::collectMetrics);
    log.info("iii-queue ready: adapter {}, queues {}", backend.type(), named.keySet());
    opened.live().watch(self, blocking, this::apply);
  }

  private static QueueSpec spec(QueueConfig.NamedQueue queue) {
    return new QueueSpec(QueueSpec.namedKey(queue.name()), null, queue.fifo(), queue.concurrency(), queue.retry(), queue.maxPriority());
  }

  /**
   * Starts (or restarts) {@code transport}'s consumers of the named queues in {@code queues} whose
   * settings differ from {@code running}'s, stops those of the queues no longer named, and
   * returns the specs now in force. Queues whose settings did not change are not touched.
   */
  private Map<String, QueueSpec> consumeNamed(
      QueueBackend transport, Map<String, QueueConfig.NamedQueue> queues, Map<String, QueueConfig.NamedQueue> running) throws QueueException {
    Map<String, QueueSpec> specs = new LinkedHashMap<>();
    for (QueueConfig.NamedQueue queue : queues.values()) {
      QueueSpec spec = spec(queue);
      specs.put(queue.name(), spec);
      if (!queue.equals(running.get(queue.name()))) {
        transport.consume(spec, counted(spec.name(), namedHandler(queue)));
      }
    }
    for (QueueConfig.NamedQueue gone : running.values()) {
      if (!queues.containsKey(gone.name())) {
        transport.stopConsuming(spec(gone).name());
      }
    }
    return Collections.unmodifiableMap(specs);
  }

  /**
   * A configuration change (BUILTINS.md §7.2), run in turn with the subscriptions' consumer work.
   * The same adapter: queues added or changed (re)start, removed ones stop, the others are not
   * touched. Another adapter: the new transport is built and takes every consumer and every new
   * message; the old one goes on delivering what it holds and closes once drained
   * ({@link DrainingTransport}). A transport that cannot be built keeps everything as it was.
   */
  private void apply(QueueConfig next) throws Exception {
    try {
      setup.call(() -> {
        if (next.adapter().equals(config.adapter())) {
          named = consumeNamed(backend, next.queues(), config.queues());
          log.info("iii-queue: configuration applied; queues {}", named.keySet());
        } else {
          changeTransport(next);
        }
        config = next;
        return null;
      }).get(APPLY_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  private void changeTransport(QueueConfig next) throws Exception {
    draining.removeIf(DrainingTransport::done);
    for (DrainingTransport previous : draining) {
      if (previous.adapter().equals(next.adapter())) { // two stores on one journal directory would corrupt it
        throw new IllegalStateException("the transport this change returns to is still delivering what it held; apply the change again once it has closed");
      }
    }
    QueueBackend fresh = open(next.adapter());
    List<String> oldQueues = new ArrayList<>();
    Map<String, QueueSpec> specs;
    // Subscriptions that come or go from here on queue their consumer work behind this change,
    // so it reaches the new transport.
    Map<String, QueueSpec> topicQueues = new LinkedHashMap<>();
    lock.lock();
    try {
      byQueue.forEach((key, replicas) -> topicQueues.put(key, replicas.get(0).spec()));
    } finally {
      lock.unlock();
    }
    try {
      specs = consumeNamed(fresh, next.queues(), Map.of());
      for (Map.Entry<String, QueueSpec> topicQueue : topicQueues.entrySet()) {
        fresh.consume(topicQueue.getValue(), counted(topicQueue.getKey(), topicHandler(topicQueue.getKey())));
      }
    } catch (QueueException | RuntimeException e) {
      fresh.close();
      throw new IllegalStateException("the new transport could not take the consumers: " + e.getMessage(), e);
    }
    named.values().forEach(spec -> oldQueues.add(spec.name()));
    oldQueues.addAll(topicQueues.keySet());
    QueueBackend old = backend;
    backend = fresh;
    named = specs;
    draining.add(new DrainingTransport(old, config.adapter(), oldQueues));
    log.info("iii-queue: transport changed to {}; {} queue(s) moved over, the previous transport delivers what it holds, then closes",
        fresh.type(), oldQueues.size());
  }

  private QueueBackend open(QueueConfig.Adapter adapter) throws Exception {
    return switch (adapter) {
      case QueueConfig.Builtin b -> {
        String key = configPath + ".adapter.config.file_path";
        if (b.durable()) {
          DataDirectory.require(NAME, b.dir(), b.dir(), key);
        }
        BuiltinQueue queue = new BuiltinQueue(b, blocking, clock);
        try {
          queue.open();
        } catch (IOException e) {
          queue.close();
          throw StartupException.cannotUse(NAME, b.dir(), key, e.getMessage(), e); // a damaged journal
        }
        yield queue;
      }
      case QueueConfig.RabbitMq r -> {
        RabbitQueue queue = new RabbitQueue(r, blocking, clock);
        try {
          queue.open();
        } catch (QueueException e) {
          throw new IllegalStateException("iii-queue: " + e.getMessage(), e);
        }
        yield queue;
      }
    };
  }

  private void admin(Worker self, String id, String description, BuiltinFunction.SyncBody body) {
    engine.registerFunction(self, FunctionDefinition.of(id, description), BuiltinFunction.blocking(blocking, body));
  }

  // ------------------------------------------------------------------ delivery

  private RateMeter meter(Map<String, RateMeter> meters, String queueKey) {
    return meters.computeIfAbsent(queueKey, k -> new RateMeter(clock));
  }

  /**
   * Counts the messages a queue's handler handled successfully (acked), for its drain rate, and
   * the attempts that failed (each is retried or dead-lettered): a dependency that is down shows
   * as failures rising while nothing drains.
   */
  private MessageHandler counted(String queueKey, MessageHandler handler) {
    RateMeter drained = meter(drainRates, queueKey);
    RateMeter failed = meter(failedAttempts, queueKey);
    return message -> handler.handle(message).whenComplete((ok, failure) -> {
      if (failure == null) {
        drained.mark();
      } else {
        failed.mark();
      }
    });
  }

  private MessageHandler namedHandler(QueueConfig.NamedQueue queue) {
    return message -> {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(queue.attemptTimeoutMs());
      return attempt(invoke(message.functionId(), message, deadline), queue.attemptTimeoutMs(), deadline);
    };
  }

  private MessageHandler topicHandler(String queueKey) {
    return message -> {
      Subscriber s = firstSubscriber(queueKey);
      if (s == null) {
        return CompletableFuture.failedFuture(new InvocationException(ErrorCodes.FUNCTION_NOT_FOUND, "no subscriber for " + queueKey));
      }
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(s.attemptTimeoutMs());
      CompletableFuture<Void> outcome;
      if (s.condition() == null) {
        outcome = invoke(s.functionId(), message, deadline);
      } else {
        outcome =
            engine
                .invoke(call(s.condition(), message, deadline))
                .thenCompose(
                    verdict ->
                        verdict != null && verdict.isBoolean() && !verdict.booleanValue()
                            ? CompletableFuture.completedFuture(null) // condition false: acked and dropped
                            : invoke(s.functionId(), message, deadline));
      }
      return attempt(outcome, s.attemptTimeoutMs(), deadline);
    };
  }

  private CompletableFuture<Void> invoke(String functionId, QueueMessage message, long deadline) {
    if (functionId == null) {
      return CompletableFuture.failedFuture(new InvocationException(ErrorCodes.INVOCATION_FAILED, "the message names no function"));
    }
    try {
      return engine.invoke(call(functionId, message, deadline)).thenApply(result -> null);
    } catch (CompletionException e) {
      return CompletableFuture.failedFuture(e.getCause());
    }
  }

  /**
   * The call of one attempt. Its {@code timeout_ms} is what is left of the attempt's time, so the
   * router's deadline bounds the attempt: no timer of the attempt's own (a timer per delivered
   * message costs two wake-ups of the JDK's delay scheduler thread).
   */
  private static Call call(String functionId, QueueMessage message, long deadline) {
    JsonNode data;
    try {
      data = Json.mapper().readTree(message.payload());
    } catch (IOException e) {
      throw new CompletionException(new InvocationException(ErrorCodes.DESERIALIZATION_ERROR, "stored payload is not JSON: " + e.getMessage()));
    }
    // rounded up, so the router's timer never fires before the attempt's deadline
    long leftMs = Math.max(1, (deadline - System.nanoTime() + 999_999) / 1_000_000);
    return new Call(functionId, data, null, message.traceparent(), message.baggage(), null, leftMs);
  }

  /** A deadline the router enforced on this attempt reads as the attempt's timeout. */
  private static CompletableFuture<Void> attempt(CompletableFuture<Void> outcome, long timeoutMs, long deadline) {
    return outcome.exceptionallyCompose(
        failure -> {
          Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
          boolean timedOut =
              cause instanceof InvocationException ie
                  && Router.INVOCATION_TIMEOUT.equals(ie.error().code())
                  && System.nanoTime() - deadline >= 0; // not a timeout the handler itself ran into earlier
          return CompletableFuture.failedFuture(
              timedOut
                  ? new InvocationException(ErrorCodes.TIMEOUT, "the handler did not answer within " + timeoutMs + " ms (attempt_timeout_ms)")
                  : cause);
        });
  }

  // ------------------------------------------------------------------ engine::queue::enqueue

  private CompletableFuture<JsonNode> enqueue(Call call) {
    QueueMessage message;
    QueueSpec spec;
    try {
      Input in = Input.of(call);
      String queue = in.requiredString("queue");
      String functionId = in.requiredString("function_id");
      JsonNode data = in.raw().has("data") ? in.raw().get("data") : NullNode.getInstance();
      String receipt = in.optionalString("messageReceiptId");
      QueueConfig.NamedQueue settings = config.queues().get(queue);
      spec = named.get(queue);
      if (settings == null || spec == null) { // both, as a configuration change replaces one, then the other
        throw new InvocationException(ErrorCodes.ENQUEUE_ERROR, "Queue '" + queue + "' not found");
      }
      String group = null;
      if (settings.fifo()) {
        String field = settings.messageGroupField();
        JsonNode value = data.isObject() ? data.get(field) : null;
        if (value == null) {
          throw new InvocationException(
              ErrorCodes.ENQUEUE_ERROR, "FIFO queue '" + queue + "' requires field '" + field + "' in data, but it was not found");
        }
        if (value.isNull()) {
          throw new InvocationException(ErrorCodes.ENQUEUE_ERROR, "FIFO queue '" + queue + "': field '" + field + "' must not be null");
        }
        group = value.isTextual() ? value.textValue() : Json.write(value);
      }
      Integer priority = null;
      if (settings.priorityField() != null && data.isObject() && data.path(settings.priorityField()).canConvertToLong()) {
        long raw = data.path(settings.priorityField()).longValue();
        int max = settings.maxPriority() == null ? 255 : settings.maxPriority();
        priority = (int) Math.max(0, Math.min(max, raw));
      }
      message =
          new QueueMessage(
              receipt == null || receipt.isEmpty() ? Uuids.fast().toString() : receipt,
              functionId,
              Json.mapper().writeValueAsBytes(data),
              group,
              priority,
              in.optionalString("traceparent"),
              in.optionalString("baggage"),
              clock.millis(),
              0);
    } catch (InvocationException e) {
      return CompletableFuture.failedFuture(e);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new InvocationException(ErrorCodes.SERIALIZATION_ERROR, e.getMessage()));
    }
    String id = message.id();
    RateMeter enqueued = meter(enqueueRates, spec.name());
    return backend
        .enqueue(spec, message)
        .handle(
            (ok, failure) -> {
              if (failure != null) {
                throw new InvocationException(ErrorCodes.ENQUEUE_ERROR, describe(failure));
              }
              enqueued.mark();
              return (JsonNode) Json.object().put("messageReceiptId", id);
            });
  }

  // ------------------------------------------------------------------ durable topics

  private CompletableFuture<JsonNode> publish(Call call) {
    String topic;
    byte[] payload;
    String traceparent = call.traceparent();
    String baggage = call.baggage();
    try {
      Input in = Input.of(call);
      topic = in.requiredString("topic");
      JsonNode data = in.requiredTree("data");
      if (topic.isEmpty()) {
        throw new InvocationException("topic_not_set", "Topic is not set");
      }
      payload = Json.mapper().writeValueAsBytes(data);
    } catch (InvocationException e) {
      return CompletableFuture.failedFuture(e);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new InvocationException(ErrorCodes.SERIALIZATION_ERROR, e.getMessage()));
    }
    List<QueueSpec> targets = new ArrayList<>();
    lock.lock();
    try {
      for (List<Subscriber> subscribers : byQueue.values()) {
        if (!subscribers.isEmpty() && topic.equals(subscribers.get(0).topic())) {
          targets.add(subscribers.get(0).spec());
        }
      }
    } finally {
      lock.unlock();
    }
    QueueMessage message =
        new QueueMessage(Uuids.fast().toString(), null, payload, null, null, traceparent, baggage, clock.millis(), 0);
    return backend
        .publish(topic, targets, message)
        .handle(
            (ok, failure) -> {
              if (failure != null) {
                throw new InvocationException("publish_failed", "Failed to publish to topic '" + topic + "': " + describe(failure));
              }
              return (JsonNode) NullNode.getInstance();
            });
  }

  @Override
  public void register(TriggerBinding binding) throws TriggerRejectedException {
    JsonNode c = binding.config() == null ? NullNode.getInstance() : binding.config();
    String topic = c.path("topic").isTextual() ? c.path("topic").textValue() : "";
    if (topic.isEmpty()) {
      log.warn("durable:subscriber {} for {}: topic is not set; the trigger stays inert", LogSafe.escape(binding.id()), LogSafe.escape(binding.functionId()));
      return;
    }
    String condition = c.path("condition_function_id").isTextual() ? c.path("condition_function_id").textValue() : null;
    JsonNode q = c.path("queue_config");
    boolean fifo = "fifo".equals(q.path("type").asText(""));
    long maxRetries = q.path("maxRetries").canConvertToLong() ? q.path("maxRetries").longValue() : Retry.DEFAULTS.maxRetries();
    long concurrency = q.path("concurrency").canConvertToLong() ? q.path("concurrency").longValue() : 10;
    long backoff = q.path("backoffDelayMs").canConvertToLong() ? q.path("backoffDelayMs").longValue() : Retry.DEFAULTS.backoffMs();
    long timeout = q.path("attemptTimeoutMs").canConvertToLong() ? q.path("attemptTimeoutMs").longValue() : QueueConfig.DEFAULT_ATTEMPT_TIMEOUT_MS;
    Integer maxPriority = q.path("maxPriority").canConvertToInt() ? q.path("maxPriority").intValue() : null;
    if (concurrency < 1 || concurrency > 1000) {
      throw new TriggerRejectedException("queue_config.concurrency must be between 1 and 1000, got " + concurrency);
    }
    if (maxRetries < 0 || maxRetries > 1_000_000 || backoff < 0 || timeout < 1) {
      throw new TriggerRejectedException("queue_config: maxRetries, backoffDelayMs and attemptTimeoutMs must be non-negative (timeout positive)");
    }
    if (maxPriority != null && (maxPriority < 1 || maxPriority > 255)) {
      throw new TriggerRejectedException("queue_config.maxPriority must be between 1 and 255");
    }
    String key = QueueSpec.topicKey(topic, binding.functionId());
    QueueSpec spec = new QueueSpec(key, topic, fifo, (int) concurrency, new Retry((int) maxRetries, backoff), maxPriority);
    Subscriber subscriber = new Subscriber(binding.id(), topic, binding.functionId(), condition, spec, timeout);
    boolean first;
    lock.lock();
    try {
      Subscriber previous = byBinding.put(binding.id(), subscriber);
      if (previous != null) {
        remove(previous);
      }
      List<Subscriber> replicas = byQueue.computeIfAbsent(key, k -> new ArrayList<>());
      replicas.add(subscriber);
      first = replicas.size() == 1;
    } finally {
      lock.unlock();
    }
    log.info("[REGISTERED] durable subscription {} → {}", LogSafe.escape(topic), LogSafe.escape(binding.functionId()));
    if (first) {
      QueueSpec started = spec;
      setup.run(
          () -> {
            if (firstSubscriber(key) == null) {
              return; // unsubscribed before the consumer started
            }
            try {
              if (!backend.consuming(key)) { // a transport change may have started it already
                backend.consume(started, counted(key, topicHandler(key)));
              }
            } catch (QueueException e) {
              log.error("durable subscription {} → {} cannot consume: {}", LogSafe.escape(topic), LogSafe.escape(binding.functionId()), LogSafe.escape(e.getMessage()));
            }
          });
    }
  }

  @Override
  public void unregister(TriggerBinding binding) {
    String stop = null;
    lock.lock();
    try {
      Subscriber s = byBinding.remove(binding.id());
      if (s != null) {
        stop = remove(s) ? s.spec().name() : null;
      }
    } finally {
      lock.unlock();
    }
    if (stop != null) {
      String queue = stop;
      setup.run(
          () -> {
            if (firstSubscriber(queue) == null) {
              backend.stopConsuming(queue);
            }
          });
    }
  }

  /** Removes a subscriber (lock held); true when its queue has no subscriber left. */
  private boolean remove(Subscriber s) {
    List<Subscriber> replicas = byQueue.get(s.spec().name());
    if (replicas == null) {
      return false;
    }
    replicas.remove(s);
    if (replicas.isEmpty()) {
      byQueue.remove(s.spec().name());
      return true;
    }
    return false;
  }

  private Subscriber firstSubscriber(String queueKey) {
    lock.lock();
    try {
      List<Subscriber> replicas = byQueue.get(queueKey);
      return replicas == null || replicas.isEmpty() ? null : replicas.get(0);
    } finally {
      lock.unlock();
    }
  }

  /** Topic → number of bindings, sorted. */
  private Map<String, Integer> subscribedTopics() {
    Map<String, Integer> topics = new TreeMap<>();
    lock.lock();
    try {
      for (Subscriber s : byBinding.values()) {
        topics.merge(s.topic(), 1, Integer::sum);
      }
    } finally {
      lock.unlock();
    }
    return topics;
  }

  private Set<String> queuesOfTopic(String topic) {
    Set<String> queues = new LinkedHashSet<>(backend.topicQueues(topic));
    lock.lock();
    try {
      for (Subscriber s : byBinding.values()) {
        if (s.topic().equals(topic)) {
          queues.add(s.spec().name());
        }
      }
    } finally {
      lock.unlock();
    }
    return queues;
  }

  // ------------------------------------------------------------------ metrics

  /**
   * Depth, in flight and dead letters of every queue (named queues by name, topic subscriber
   * queues by {@code topic::function}), and messages in and handled. Runs on a scrape's virtual
   * thread: a backend's stats may ask a server; a queue whose stats cannot be read is left out.
   */
  private void collectMetrics(MetricWriter out) {
    Map<String, String> queues = new TreeMap<>(); // backend key -> label
    for (QueueSpec spec : named.values()) {
      queues.put(spec.name(), spec.displayName());
    }
    for (String topic : subscribedTopics().keySet()) {
      for (String key : queuesOfTopic(topic)) {
        queues.put(key, key);
      }
    }
    Map<String, QueueStats> stats = new TreeMap<>();
    for (Map.Entry<String, String> q : queues.entrySet()) {
      try {
        stats.put(q.getKey(), backend.stats(q.getKey()));
      } catch (QueueException | RuntimeException e) {
        // left out of this scrape; the queue_store health check tells why
      }
    }
    out.family("iii_queue_depth", "Messages waiting for delivery (ready or waiting for a retry)", MetricWriter.Type.GAUGE);
    stats.forEach((key, s) -> out.sample("iii_queue_depth", s.depth(), "queue", queues.get(key)));
    out.family("iii_queue_in_flight", "Messages being handled now", MetricWriter.Type.GAUGE);
    stats.forEach((key, s) -> {
      if (s.inFlight() >= 0) {
        out.sample("iii_queue_in_flight", s.inFlight(), "queue", queues.get(key));
      }
    });
    out.family("iii_queue_dead_letters", "Messages in the dead-letter queue", MetricWriter.Type.GAUGE);
    stats.forEach((key, s) -> out.sample("iii_queue_dead_letters", s.dlqDepth(), "queue", queues.get(key)));
    out.family("iii_queue_enqueued_total", "Messages enqueued through this engine", MetricWriter.Type.COUNTER);
    queues.forEach((key, label) -> {
      RateMeter meter = enqueueRates.get(key);
      out.sample("iii_queue_enqueued_total", meter == null ? 0 : meter.total(), "queue", label);
    });
    out.family("iii_queue_handled_total", "Messages whose handler succeeded (acknowledged)", MetricWriter.Type.COUNTER);
    queues.forEach((key, label) -> {
      RateMeter meter = drainRates.get(key);
      out.sample("iii_queue_handled_total", meter == null ? 0 : meter.total(), "queue", label);
    });
    out.family("iii_queue_failed_attempts_total", "Attempts whose handler failed (each is retried or dead-lettered)", MetricWriter.Type.COUNTER);
    queues.forEach((key, label) -> {
      RateMeter meter = failedAttempts.get(key);
      out.sample("iii_queue_failed_attempts_total", meter == null ? 0 : meter.total(), "queue", label);
    });
  }

  // ------------------------------------------------------------------ dead letters and the console

  private JsonNode redrive(Call call) {
    Input in = Input.of(call);
    String queue = aliased(in, "queue", "topic");
    if (queue.isEmpty()) {
      throw new InvocationException("queue_not_set", "Queue name is required");
    }
    try {
      long redriven = 0;
      for (String key : resolve(queue)) {
        redriven += backend.redrive(key);
      }
      log.info("redrove {} dead letters of {}", redriven, LogSafe.escape(queue));
      return Json.object().put("queue", queue).put("redriven", redriven);
    } catch (QueueException e) {
      throw new InvocationException("redrive_failed", "Failed to redrive DLQ for queue '" + queue + "': " + e.getMessage());
    }
  }

  private JsonNode single(Call call, boolean redrive) {
    Input in = Input.of(call);
    String queue = aliased(in, "queue", "topic");
    String id = in.requiredString("message_id");
    if (queue.isEmpty()) {
      throw new InvocationException("queue_not_set", "Queue name is required");
    }
    if (id.isEmpty()) {
      throw new InvocationException("message_id_not_set", "Message ID is required");
    }
    try {
      boolean done = false;
      for (String key : resolve(queue)) {
        if (redrive ? backend.redrive(key, id) : backend.discard(key, id)) {
          done = true;
          break;
        }
      }
      return Json.object().put("queue", queue).put("message_id", id).put("redriven", done ? 1 : 0);
    } catch (QueueException e) {
      throw redrive
          ? new InvocationException(
              "redrive_message_failed", "Failed to redrive DLQ message '" + id + "' for queue '" + queue + "': " + e.getMessage())
          : new InvocationException("discard_message_failed", "Failed to discard DLQ message: " + e.getMessage());
    }
  }

  private JsonNode listTopics(Call call) {
    ArrayNode out = Json.mapper().createArrayNode();
    subscribedTopics()
        .forEach((topic, count) -> out.addObject().put("name", topic).put("broker_type", backend.type()).put("subscriber_count", count));
    for (Map.Entry<String, QueueSpec> e : named.entrySet()) {
      out.addObject().put("name", e.getKey()).put("broker_type", backend.type()).put("subscriber_count", e.getValue().concurrency());
    }
    return out;
  }

  private JsonNode topicStats(Call call) {
    Input in = Input.of(call);
    String topic = aliased(in, "topic", "queue");
    if (topic.isEmpty()) {
      throw new InvocationException("topic_required", "topic is required");
    }
    try {
      QueueStats stats = new QueueStats(0, 0, 0);
      for (String key : resolve(topic)) {
        stats = stats.plus(backend.stats(key));
      }
      ObjectNode out = Json.object();
      out.put("depth", stats.depth());
      QueueSpec spec = named.get(topic);
      out.put("consumer_count", spec != null ? spec.concurrency() : subscribedTopics().getOrDefault(topic, 0));
      if (spec == null) {
        // beyond upstream: how many subscriber queues of the topic have a running consumer
        out.put("active_consumers", resolve(topic).stream().filter(backend::consuming).count());
      }
      out.put("dlq_depth", stats.dlqDepth());
      if (stats.inFlight() >= 0) {
        out.put("in_flight", stats.inFlight());
      }
      // beyond upstream: messages in and handled successfully, per second over the last 10 s and since start; failed attempts since start
      double arriving = 0;
      double drained = 0;
      long arrived = 0;
      long handled = 0;
      long failed = 0;
      for (String key : resolve(topic)) {
        RateMeter arrivals = enqueueRates.get(key);
        RateMeter completions = drainRates.get(key);
        RateMeter failures = failedAttempts.get(key);
        arriving += arrivals == null ? 0 : arrivals.perSecond();
        arrived += arrivals == null ? 0 : arrivals.total();
        drained += completions == null ? 0 : completions.perSecond();
        handled += completions == null ? 0 : completions.total();
        failed += failures == null ? 0 : failures.total();
      }
      out.put("enqueue_rate", arriving);
      out.put("drain_rate", drained);
      out.put("enqueued_total", arrived);
      out.put("drained_total", handled);
      out.put("failed_attempts_total", failed);
      QueueConfig.NamedQueue settings = config.queues().get(topic);
      if (settings == null) {
        out.putNull("config");
      } else {
        out.putObject("config")
            .put("type", settings.fifo() ? "fifo" : "standard")
            .put("max_retries", settings.retry().maxRetries())
            .put("concurrency", settings.concurrency())
            .put("backoff_ms", settings.retry().backoffMs())
            .put("max_backoff_ms", settings.retry().maxBackoffMs()); // beyond upstream
      }
      return out;
    } catch (QueueException e) {
      throw new InvocationException("topic_stats_failed", "Failed to get topic stats: " + e.getMessage());
    }
  }

  private JsonNode dlqTopics(Call call) {
    ArrayNode out = Json.mapper().createArrayNode();
    try {
      for (String topic : subscribedTopics().keySet()) {
        long count = 0;
        for (String key : queuesOfTopic(topic)) {
          count += backend.stats(key).dlqDepth();
        }
        out.addObject().put("topic", topic).put("broker_type", backend.type()).put("message_count", count);
      }
      for (Map.Entry<String, QueueSpec> e : named.entrySet()) {
        out.addObject()
            .put("topic", e.getKey())
            .put("broker_type", "function_queue")
            .put("message_count", backend.stats(e.getValue().name()).dlqDepth());
      }
    } catch (QueueException e) {
      throw new InvocationException("dlq_topics_failed", "Failed to list DLQ topics: " + e.getMessage());
    }
    return out;
  }

  private JsonNode dlqMessages(Call call) {
    Input in = Input.of(call);
    String topic = aliased(in, "topic", "queue");
    Long offset = in.optionalLong("offset");
    Long limit = in.optionalLong("limit");
    if (topic.isEmpty()) {
      throw new InvocationException("topic_required", "topic is required");
    }
    int from = (int) Math.max(0, Math.min(Integer.MAX_VALUE, offset == null ? 0 : offset));
    int count = (int) Math.max(0, Math.min(10_000, limit == null ? 50 : limit));
    try {
      List<DeadLetter> letters = new ArrayList<>();
      List<String> keys = resolve(topic);
      if (keys.size() == 1) {
        letters.addAll(backend.deadLetters(keys.get(0), from, count));
      } else {
        for (String key : keys) {
          letters.addAll(backend.deadLetters(key, 0, from + count));
        }
        letters.sort(Comparator.comparingLong(DeadLetter::failedAtMs));
        letters = letters.subList(Math.min(from, letters.size()), Math.min(letters.size(), from + count));
      }
      ArrayNode out = Json.mapper().createArrayNode();
      for (DeadLetter letter : letters) {
        ObjectNode item = out.addObject();
        item.put("id", letter.message().id());
        item.set("payload", payload(letter.message()));
        item.put("error", letter.error() == null ? "unknown" : letter.error());
        item.put("failed_at", letter.failedAtMs() / 1000);
        item.put("retries", letter.attempts());
        item.put("size_bytes", letter.message().payload().length);
        item.put("attempts", letter.attempts());
        item.put("failed_at_ms", letter.failedAtMs());
        if (letter.message().functionId() != null) {
          item.put("function_id", letter.message().functionId());
        }
      }
      return out;
    } catch (QueueException e) {
      throw new InvocationException("dlq_messages_failed", "Failed to browse DLQ messages: " + e.getMessage());
    }
  }

  private static JsonNode payload(QueueMessage message) {
    try {
      return Json.mapper().readTree(message.payload());
    } catch (IOException e) {
      return Json.mapper().getNodeFactory().textNode(new String(message.payload(), java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /** A named queue maps to its one internal queue; anything else is a topic with one queue per subscribing function. */
  private List<String> resolve(String name) {
    QueueSpec spec = named.get(name);
    if (spec != null) {
      return List.of(spec.name());
    }
    return new ArrayList<>(queuesOfTopic(name));
  }

  private static String aliased(Input in, String field, String alias) {
    String value = in.optionalString(field);
    if (value == null) {
      value = in.optionalString(alias);
    }
    if (value == null) {
      throw in.error("missing field `" + field + "`");
    }
    return value;
  }

  private static String describe(Throwable failure) {
    Throwable t = failure;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof InvocationException ie) {
      return ie.error().message();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  @Override
  public void close() {
    if (metrics != null) {
      metrics.close();
    }
    if (setup != null) {
      setup.close();
    }
    draining.forEach(DrainingTransport::close);
    if (backend != null) {
      backend.close();
    }
  }
}
