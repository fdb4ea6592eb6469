package io.linkly.iii.engine.core;

import io.linkly.iii.protocol.WorkerRegistered;
import io.linkly.iii.engine.metrics.MetricWriter;
import io.linkly.iii.engine.metrics.Metrics;
import io.linkly.iii.engine.rbac.AccessInterceptor;
import io.linkly.iii.engine.rbac.SessionAccess;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine core: the workers, the function table, the trigger registry and the router, and the
 * one place that ties them together when a worker comes or goes. It knows nothing about any
 * built-in: built-ins register functions, trigger types and trigger actions through the same
 * methods a worker's messages reach (see {@link Session}).
 */
public final class Engine implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final Clock clock;
  private final Map<String, Worker> workers = new ConcurrentHashMap<>();
  private final FunctionTable functions;
  private final TriggerRegistry triggers = new TriggerRegistry(workers::get);
  private final TriggerActions actions = new TriggerActions();
  private final Router router;
  private final List<Consumer<WorkerEvent>> workerListeners = new CopyOnWriteArrayList<>();
  private final AtomicLong droppedFrames = new AtomicLong();
  private final Map<String, HealthCheck> healthChecks = new ConcurrentHashMap<>();
  private volatile RequestTracing requestTracing = RequestTracing.OFF;
  private volatile ExternalFunctions externalFunctions;
  private final Metrics metrics = new Metrics();
  private final Telemetry telemetry = new Telemetry();
  private final LongAdder workersConnected = new LongAdder();
  private final LongAdder workersDisconnected = new LongAdder();

  /** An engine with default bounds where every id may be registered by a worker (tests). */
  public Engine(Clock clock) {
    this(clock, RouterSettings.DEFAULTS, id -> false);
  }

  /**
   * @param reservedForBuiltins ids no worker may register, even before a built-in has (e.g. a whole
   *     namespace such as {@code state::})
   */
  public Engine(Clock clock, RouterSettings settings, Predicate<String> reservedForBuiltins) {
    this.clock = clock;
    this.functions = new FunctionTable(reservedForBuiltins);
    this.router = new Router(functions, actions, settings, new AccessInterceptor(this));
    metrics.collector(router.invocationCounters()::collect);
    metrics.collector(this::collectWorkers);
  }

  /** The metrics {@code GET /metrics} shows; built-ins and in-process applications add theirs. */
  public Metrics metrics() {
    return metrics;
  }

  /** Where SDK telemetry frames ({@code /otel}, or the worker socket) are handed over. */
  public Telemetry telemetry() {
    return telemetry;
  }

  /** Worker connections since start: made, ended. In-process workers count; built-ins do not. */
  public long workersConnected() {
    return workersConnected.sum();
  }

  public long workersDisconnected() {
    return workersDisconnected.sum();
  }

  private void collectWorkers(MetricWriter out) {
    long active = 0;
    for (Worker worker : workers.values()) {
      if (!worker.isBuiltin()) {
        active++;
      }
    }
    out.family("iii_workers_connected", "Workers connected now (sockets and in-process workers)", MetricWriter.Type.GAUGE);
    out.sample("iii_workers_connected", active);
    out.family("iii_worker_connections_total", "Worker connections opened since start", MetricWriter.Type.COUNTER);
    out.sample("iii_worker_connections_total", workersConnected.sum());
    out.family("iii_worker_disconnections_total", "Worker connections ended since start", MetricWriter.Type.COUNTER);
    out.sample("iii_worker_disconnections_total", workersDisconnected.sum());
    out.family("iii_invocations_in_flight", "Calls sent to workers that have not ended yet", MetricWriter.Type.GAUGE);
    out.sample("iii_invocations_in_flight", router.pendingInvocations());
    out.family("iii_frames_dropped_total", "Worker frames that were not valid messages, dropped", MetricWriter.Type.COUNTER);
    out.sample("iii_frames_dropped_total", droppedFrames.get());
  }

  public Clock clock() {
    return clock;
  }

  public Router router() {
    return router;
  }

  public TriggerActions actions() {
    return actions;
  }

  /** Adds a component to {@code engine::health::check} (a store, a database, a listener). */
  public void registerHealthCheck(String component, HealthCheck check) {
    healthChecks.put(component, check);
  }

  /** Every registered component, by name. */
  public Map<String, HealthCheck> healthChecks() {
    return Map.copyOf(healthChecks);
  }

  /** Spans around HTTP requests (set by the observability worker when tracing is on). */
  public void useRequestTracing(RequestTracing tracing) {
    requestTracing = tracing;
  }

  public RequestTracing requestTracing() {
    return requestTracing;
  }

  /** Who serves functions registered with an {@code invocation} block (set by iii-http-functions). */
  public void useExternalFunctions(ExternalFunctions functions) {
    externalFunctions = functions;
  }

  /** Null when no worker serves them: such registrations are then ignored, as upstream. */
  ExternalFunctions externalFunctions() {
    return externalFunctions;
  }

  FunctionTable functionTable() {
    return functions;
  }

  TriggerRegistry triggers() {
    return triggers;
  }

  // ------------------------------------------------------------------ workers

  /** A new connection of an open listener becomes a worker with a fresh id and reattach token. */
  public Session open(Connection connection) {
    return open(connection, SessionAccess.OPEN);
  }

  /** A new connection becomes a worker allowed what {@code access} says (PROTOCOL.md §9). */
  public Session open(Connection connection, SessionAccess access) {
    Worker worker =
        new Worker(UUID.randomUUID().toString(), UUID.randomUUID().toString(), connection, clock.millis(), null, access);
    workers.put(worker.id(), worker);
    workersConnected.increment();
    connection.send(new WorkerRegistered(worker.id(), worker.reattachToken()));
    fire(new WorkerEvent(WorkerEvent.Kind.WORKER_CONNECTED, worker.id()));
    return new Session(this, worker);
  }

  /** An in-process module, listed among the workers with {@code runtime: engine}. */
  public Worker registerBuiltinWorker(String name) {
    Worker worker = new Worker(name, null, null, clock.millis(), name, SessionAccess.OPEN);
    worker.metadata(
        new WorkerMetadata(name, null, "engine", EngineVersion.VERSION, null, null, "in-process", null));
    workers.put(worker.id(), worker);
    return worker;
  }

  public Optional<Worker> worker(String id) {
    return Optional.ofNullable(workers.get(id));
  }

  /** What the worker with this id may do; {@link SessionAccess#OPEN} for built-ins and unknown ids. */
  public SessionAccess access(String workerId) {
    Worker worker = workerId == null ? null : workers.get(workerId);
    return worker == null ? SessionAccess.OPEN : worker.access();
  }

  public Collection<Worker> workers() {
    return List.copyOf(workers.values());
  }

  public void updateMetadata(Worker worker, WorkerMetadata metadata) {
    worker.metadata(metadata);
    fire(new WorkerEvent(WorkerEvent.Kind.WORKER_METADATA_UPDATED, worker.id()));
  }

  public void addWorkerListener(Consumer<WorkerEvent> listener) {
    workerListeners.add(listener);
  }

  /**
   * Disconnect cleanup (PROTOCOL.md §1.8), once per worker however often it is called: its
   * functions are withdrawn (earlier owners serve again), the calls it was executing end with
   * {@code invocation_stopped}, the calls it made are abandoned, its triggers and trigger types go.
   */
  public void disconnected(Worker worker) {
    if (!worker.markGone()) {
      return;
    }
    for (String id : worker.functionIds) {
      functions.unregister(id, worker);
    }
    worker.functionIds.clear();
    router.stopAll(worker);
    List<CompletableFuture<?>> calls = new ArrayList<>(worker.callsInFlight.values());
    worker.callsInFlight.clear();
    calls.forEach(c -> c.cancel(false));
    triggers.workerGone(worker);
    workers.remove(worker.id());
    workersDisconnected.increment();
    fire(new WorkerEvent(WorkerEvent.Kind.WORKER_DISCONNECTED, worker.id()));
  }

  private void fire(WorkerEvent event) {
    for (Consumer<WorkerEvent> listener : workerListeners) {
      try {
        listener.accept(event);
      } catch (RuntimeException e) {
        log.warn("worker listener failed on {}", event, e);
      }
    }
  }

  public void countDroppedFrame() {
    droppedFrames.incrementAndGet();
  }

  public long droppedFrames() {
    return droppedFrames.get();
  }

  // ------------------------------------------------------------------ functions

  /** Calls any function, wherever it lives (see {@link Router#invoke}). */
  public CompletableFuture<com.fasterxml.jackson.databind.JsonNode> invoke(Call call) {
    return router.invoke(call);
  }

  /** Registers a built-in function; built-in ids cannot be taken over by workers. */
  public void registerFunction(Worker module, FunctionDefinition definition, BuiltinFunction function) {
    functions.register(
        new FunctionEntry(
            definition.id(),
            definition.description(),
            definition.requestFormat(),
            definition.responseFormat(),
            definition.metadata(),
            module,
            definition.id(),
            function));
  }

  void unregisterFunction(Worker owner, String id) {
    functions.unregister(id, owner);
    owner.functionIds.remove(id);
  }

  public Collection<FunctionEntry> functions() {
    return functions.current();
  }

  public Optional<FunctionEntry> function(String id) {
    return Optional.ofNullable(functions.get(id));
  }

  public int pendingInvocations() {
    return router.pendingInvocations();
  }

  // ------------------------------------------------------------------ triggers

  public void registerTriggerType(Worker module, String id, String description, TriggerProvider provider) {
    triggers.registerType(new TriggerTypeEntry(id, description, null, null, module, provider));
  }

  /** Registers a binding on behalf of no worker ({@code engine::register_trigger}). */
  public Optional<String> registerTrigger(TriggerBinding binding) {
    return triggers.registerBinding(binding);
  }

  public Optional<TriggerBinding> unregisterTrigger(String id) {
    return triggers.unregisterBinding(id);
  }

  public List<TriggerTypeEntry> triggerTypes() {
    return triggers.types();
  }

  public Optional<TriggerTypeEntry> triggerType(String id) {
    return triggers.type(id);
  }

  public List<TriggerBinding> triggerBindings() {
    return triggers.bindings();
  }

  @Override
  public void close() {
    router.close();
  }
}
