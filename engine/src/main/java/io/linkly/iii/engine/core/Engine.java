package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.ErrorBody;
import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.protocol.InvocationResult;
import io.linkly.iii.protocol.InvokeFunction;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.Message;
import io.linkly.iii.protocol.Ping;
import io.linkly.iii.protocol.Pong;
import io.linkly.iii.protocol.Reattach;
import io.linkly.iii.protocol.RegisterFunction;
import io.linkly.iii.protocol.RegisterService;
import io.linkly.iii.protocol.RegisterTrigger;
import io.linkly.iii.protocol.RegisterTriggerType;
import io.linkly.iii.protocol.TriggerAction;
import io.linkly.iii.protocol.TriggerRegistrationResult;
import io.linkly.iii.protocol.UnregisterFunction;
import io.linkly.iii.protocol.UnregisterTrigger;
import io.linkly.iii.protocol.UnregisterTriggerType;
import io.linkly.iii.protocol.Uuids;
import io.linkly.iii.protocol.WorkerRegistered;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine core: the worker registry, the flat function namespace, trigger bindings and the
 * router between them. It knows nothing about any built-in; built-ins register functions and
 * trigger types through the same methods a remote worker's frames reach.
 *
 * <p>Thread model: frames of one connection arrive in order on its event loop and are handled
 * inline; registries are concurrent; nothing here blocks.
 */
public final class Engine {

  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  public static final String QUEUE_ENQUEUE_FUNCTION = "engine::queue::enqueue";
  private static final String NO_QUEUE_PROVIDER =
      "No queue provider is installed. `TriggerAction::Enqueue` routes through the"
          + " `engine::queue::enqueue` provider, which the standalone queue worker registers. Add it"
          + " with `iii worker add queue`. (underlying: Function engine::queue::enqueue not found)";

  private final Clock clock;
  private final Map<String, Worker> workers = new ConcurrentHashMap<>();
  private final Map<String, FunctionEntry> functions = new ConcurrentHashMap<>();
  private final Map<UUID, PendingInvocation> pending = new ConcurrentHashMap<>();
  private final TriggerRegistry triggers = new TriggerRegistry(workers::get);
  private final List<Consumer<WorkerEvent>> workerListeners = new CopyOnWriteArrayList<>();
  private final AtomicLong droppedFrames = new AtomicLong();

  public Engine(Clock clock) {
    this.clock = clock;
  }

  public Clock clock() {
    return clock;
  }

  // ------------------------------------------------------------------ workers

  /** A new socket connection becomes a worker with a fresh id and reattach token. */
  public Worker connect(Connection connection) {
    Worker worker =
        new Worker(
            UUID.randomUUID().toString(), UUID.randomUUID().toString(), connection, clock.millis(), null);
    workers.put(worker.id(), worker);
    connection.send(new WorkerRegistered(worker.id(), worker.reattachToken()));
    fire(new WorkerEvent(WorkerEvent.Kind.WORKER_CONNECTED, worker.id()));
    return worker;
  }

  /** An in-process module, listed among the workers with {@code runtime: engine}. */
  public Worker registerBuiltinWorker(String name) {
    Worker worker = new Worker(name, null, null, clock.millis(), name);
    worker.metadata(
        new WorkerMetadata(name, null, "engine", EngineVersion.VERSION, null, null, "in-process", null));
    workers.put(worker.id(), worker);
    return worker;
  }

  public Optional<Worker> worker(String id) {
    return Optional.ofNullable(workers.get(id));
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

  /** Disconnect cleanup (PROTOCOL.md §1.8); runs once per worker however often it is called. */
  public void disconnected(Worker worker) {
    if (!worker.markGone()) {
      return;
    }
    functions.values().removeIf(f -> f.owner() == worker);
    for (UUID id : worker.executing) {
      PendingInvocation call = pending.remove(id);
      if (call != null) {
        call.future().completeExceptionally(new InvocationException(ErrorBody.invocationStopped()));
      }
    }
    worker.executing.clear();
    worker.callsInFlight.clear();
    triggers.workerGone(worker);
    workers.remove(worker.id());
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

  // ------------------------------------------------------------------ frames from a worker

  /** Handles one decoded frame from a remote worker, in arrival order. */
  public void onMessage(Worker worker, Message message) {
    if (worker.isGone()) {
      return; // evicted by a reattach: its remaining frames are not consumed
    }
    switch (message) {
      case InvokeFunction m -> onInvoke(worker, m);
      case InvocationResult m -> onResult(worker, m);
      case RegisterFunction m -> onRegisterFunction(worker, m);
      case UnregisterFunction m -> unregisterFunction(worker, m.id());
      case RegisterTrigger m -> onRegisterTrigger(worker, m);
      case UnregisterTrigger m -> triggers.unregisterBinding(m.id());
      case TriggerRegistrationResult m -> triggers.onProviderResult(worker, m);
      case RegisterTriggerType m ->
          triggers.registerType(
              new TriggerTypeEntry(
                  m.id(), m.description(), m.triggerRequestFormat(), m.callRequestFormat(), worker, null));
      case UnregisterTriggerType m -> triggers.unregisterType(m.id(), worker);
      case Reattach m -> onReattach(worker, m);
      case Ping p -> worker.connection().send(Pong.INSTANCE);
      case Pong p -> {}
      case RegisterService m -> log.debug("worker {} registered service {}", worker.id(), m.id());
      case WorkerRegistered m -> {}
    }
  }

  public void countDroppedFrame() {
    droppedFrames.incrementAndGet();
  }

  public long droppedFrames() {
    return droppedFrames.get();
  }

  private void onRegisterFunction(Worker worker, RegisterFunction m) {
    if (m.invocation() != null) {
      // HTTP-invoked functions need iii-http-functions, which this engine does not ship yet;
      // upstream ignores the registration silently in that case too.
      log.warn("ignoring HTTP-invoked function {}: iii-http-functions is not enabled", m.id());
      return;
    }
    FunctionEntry previous =
        functions.put(
            m.id(),
            new FunctionEntry(
                m.id(), m.description(), m.requestFormat(), m.responseFormat(), m.metadata(), worker, m.id(), null));
    if (previous != null && previous.owner() != worker) {
      log.warn("function {} re-registered by worker {}; it now owns the id", m.id(), worker.id());
    }
  }

  private void unregisterFunction(Worker worker, String id) {
    functions.computeIfPresent(id, (k, f) -> f.owner() == worker ? null : f);
  }

  private void onRegisterTrigger(Worker worker, RegisterTrigger m) {
    TriggerBinding binding =
        new TriggerBinding(m.id(), m.triggerType(), m.functionId(), m.config(), m.metadata(), worker.id());
    triggers
        .registerBinding(binding)
        .ifPresent(
            reason ->
                worker
                    .connection()
                    .send(
                        new TriggerRegistrationResult(
                            m.id(),
                            m.triggerType(),
                            m.functionId(),
                            new ErrorBody(ErrorCodes.TRIGGER_REGISTRATION_FAILED, reason))));
  }

  private void onReattach(Worker worker, Reattach m) {
    if (Uuids.parseStrict(m.previousWorkerId()) == null || m.previousWorkerId().equals(worker.id())) {
      return;
    }
    Worker previous = workers.get(m.previousWorkerId());
    if (previous == null || previous.isBuiltin() || !previous.reattachToken().equals(m.reattachToken())) {
      return;
    }
    log.info("worker {} reattached as {}", previous.id(), worker.id());
    disconnected(previous);
    previous.connection().close("reattached by " + worker.id());
  }

  // ------------------------------------------------------------------ routing

  private void onInvoke(Worker caller, InvokeFunction m) {
    if (m.action() instanceof TriggerAction.Enqueue enqueue) {
      enqueue(caller, m, enqueue.queue());
      return;
    }
    JsonNode data = m.data();
    if (data instanceof ObjectNode object) {
      object.put("_caller_worker_id", caller.id());
    }
    CompletableFuture<JsonNode> result =
        invoke(new Call(m.functionId(), data, m.metadata(), m.traceparent(), m.baggage(), caller.id()));
    if (m.action() instanceof TriggerAction.FireAndForget || m.invocationId() == null) {
      result.whenComplete(
          (r, e) -> {
            if (e != null) {
              log.debug("fire-and-forget call to {} failed: {}", m.functionId(), e.getMessage());
            }
          });
      return;
    }
    replyWhenDone(caller, m.invocationId(), m.functionId(), result);
  }

  private void enqueue(Worker caller, InvokeFunction m, String queue) {
    String receipt = Uuids.fast().toString();
    ObjectNode request = Json.object();
    request.put("queue", queue);
    request.put("function_id", m.functionId());
    request.set("data", m.data());
    request.put("messageReceiptId", receipt);
    if (m.traceparent() != null) {
      request.put("traceparent", m.traceparent());
    }
    if (m.baggage() != null) {
      request.put("baggage", m.baggage());
    }
    CompletableFuture<JsonNode> result =
        invoke(new Call(QUEUE_ENQUEUE_FUNCTION, request, m.metadata(), m.traceparent(), m.baggage(), caller.id()))
            .handle(
                (r, e) -> {
                  if (e == null) {
                    return (JsonNode) Json.object().put("messageReceiptId", receipt);
                  }
                  ErrorBody body = InvocationException.bodyOf(e);
                  String message =
                      ErrorCodes.FUNCTION_NOT_FOUND.equals(body.code())
                              && !functions.containsKey(QUEUE_ENQUEUE_FUNCTION)
                          ? NO_QUEUE_PROVIDER
                          : body.message();
                  throw new InvocationException(ErrorCodes.ENQUEUE_ERROR, message);
                });
    if (m.invocationId() != null) {
      replyWhenDone(caller, m.invocationId(), m.functionId(), result);
    }
  }

  private void replyWhenDone(
      Worker caller, UUID invocationId, String functionId, CompletableFuture<JsonNode> result) {
    caller.callsInFlight.add(invocationId);
    result.whenComplete(
        (value, failure) -> {
          if (!caller.callsInFlight.remove(invocationId)) {
            return; // the caller left; its result is discarded
          }
          caller
              .connection()
              .send(
                  failure == null
                      ? InvocationResult.success(invocationId, functionId, value)
                      : InvocationResult.failure(invocationId, functionId, InvocationException.bodyOf(failure)));
        });
  }

  /**
   * Calls any function, wherever it lives. The future fails with an {@link InvocationException};
   * there is no engine-side timeout (upstream waits until the executor answers or leaves).
   */
  public CompletableFuture<JsonNode> invoke(Call call) {
    FunctionEntry function = functions.get(call.functionId());
    if (function == null) {
      return CompletableFuture.failedFuture(
          new InvocationException(ErrorBody.functionNotFound(call.functionId())));
    }
    if (function.builtin() != null) {
      try {
        return function.builtin().invoke(call);
      } catch (InvocationException e) {
        return CompletableFuture.failedFuture(e); // e.g. a malformed input, reported as such
      } catch (RuntimeException e) {
        log.error("built-in function {} threw", call.functionId(), e);
        return CompletableFuture.failedFuture(
            new InvocationException(ErrorCodes.INVOCATION_FAILED, String.valueOf(e.getMessage())));
      }
    }
    return invokeRemote(function, call);
  }

  private CompletableFuture<JsonNode> invokeRemote(FunctionEntry function, Call call) {
    Worker executor = function.owner();
    UUID id = Uuids.fast();
    CompletableFuture<JsonNode> future = new CompletableFuture<>();
    pending.put(id, new PendingInvocation(executor, future));
    executor.executing.add(id);
    if (executor.isGone() && pending.remove(id) != null) {
      // The executor left between lookup and registration; its cleanup may have missed this call.
      future.completeExceptionally(new InvocationException(ErrorBody.invocationStopped()));
      return future;
    }
    executor
        .connection()
        .send(
            new InvokeFunction(
                id, function.localId(), call.data(), null, call.metadata(), call.traceparent(), call.baggage()));
    return future;
  }

  private void onResult(Worker executor, InvocationResult m) {
    PendingInvocation call = pending.get(m.invocationId());
    if (call == null || call.executor() != executor || !pending.remove(m.invocationId(), call)) {
      return; // unknown, halted, or answered by a worker that was not asked
    }
    executor.executing.remove(m.invocationId());
    if (m.error() != null) {
      call.future().completeExceptionally(new InvocationException(m.error()));
    } else {
      call.future().complete(m.hasResult() ? m.result() : null);
    }
  }

  private record PendingInvocation(Worker executor, CompletableFuture<JsonNode> future) {}

  // ------------------------------------------------------------------ built-in registration

  /** Registers an in-process function; the last registration of an id wins, as for workers. */
  public void registerFunction(Worker module, FunctionDefinition definition, BuiltinFunction function) {
    functions.put(
        definition.id(),
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

  public void unregisterFunction(String id) {
    functions.remove(id);
  }

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

  // ------------------------------------------------------------------ introspection

  public Collection<FunctionEntry> functions() {
    return List.copyOf(functions.values());
  }

  public Optional<FunctionEntry> function(String id) {
    return Optional.ofNullable(functions.get(id));
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

  public int pendingInvocations() {
    return pending.size();
  }
}
