package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.ErrorBody;
import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.protocol.InvocationResult;
import io.linkly.iii.protocol.InvokeFunction;
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
import io.linkly.iii.engine.rbac.RegistrationGate;
import io.linkly.iii.engine.rbac.SessionAccess;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connected worker's conversation with the engine, whatever carries it (a WebSocket or an
 * in-process link): registrations, reattach, pings, its calls and its answers, and the cleanup
 * when it goes (PROTOCOL.md §1.8).
 *
 * <p>A socket delivers frames one at a time in order; an in-process worker may call
 * {@link #onMessage} from many threads at once, so nothing here relies on a single caller.
 *
 * <p>A session of an RBAC listener has its registrations vetted first ({@link RegistrationGate}).
 * When a hook has to be asked, or an external function's registration has to be checked (see
 * {@link ExternalFunctions}), the messages that follow wait until it is decided, so a worker that
 * registers and then calls on the same socket still finds its function (PROTOCOL.md §9.4).
 */
public final class Session {

  private static final Logger log = LoggerFactory.getLogger(Session.class);

  private final Engine engine;
  private final Worker worker;
  private final Set<String> refusedIds = ConcurrentHashMap.newKeySet();

  /** Messages past this many waiting for a hook mean a flood: the worker is cut off. */
  static final int MAX_HELD_MESSAGES = 10_000;

  /** Null for an open listener's session: then nothing is vetted by a gate. */
  private final RegistrationGate gate;
  /**
   * True once a registration may wait (for a hook, or for an external function's checks), so
   * messages are handled one at a time; until then they take the short path.
   */
  private volatile boolean ordered;
  /** Stored function id by the id the worker registered it under (the prefix or a hook renames). */
  private final Map<String, String> storedIds = new ConcurrentHashMap<>();
  private final ArrayDeque<Message> held = new ArrayDeque<>();
  private boolean holding;

  Session(Engine engine, Worker worker) {
    this.engine = engine;
    this.worker = worker;
    SessionAccess access = worker.access();
    this.gate = access.isOpen() ? null : new RegistrationGate(engine, access, worker.id());
    this.ordered = gate != null && access.hasRegistrationHooks();
  }

  public Worker worker() {
    return worker;
  }

  /** The transport is gone; runs the disconnect cleanup once. */
  public void closed() {
    engine.disconnected(worker);
  }

  /** Handles one message from the worker, in the order its transport delivers them. */
  public void onMessage(Message message) {
    if (worker.isGone()) {
      return; // evicted by a reattach, or already disconnected: nothing more is consumed
    }
    if (!ordered) {
      handle(message);
      return;
    }
    synchronized (held) {
      if (holding) {
        if (held.size() >= MAX_HELD_MESSAGES) {
          held.clear();
          worker.connection().close(MAX_HELD_MESSAGES + " messages waited for a registration hook");
          return;
        }
        held.add(message);
        return;
      }
      handle(message);
    }
  }

  private void handle(Message message) {
    switch (message) {
      case InvokeFunction m -> onInvoke(m);
      case InvocationResult m -> engine.router().onResult(worker, m);
      case RegisterFunction m -> onRegisterFunction(m);
      case UnregisterFunction m -> onUnregisterFunction(m);
      case RegisterTrigger m -> {
        if (gate == null) {
          registerTrigger(m);
        } else {
          admit(gate.admitTrigger(m), this::registerTrigger);
        }
      }
      case UnregisterTrigger m -> onUnregisterTrigger(m);
      case TriggerRegistrationResult m -> engine.triggers().onProviderResult(worker, m);
      case RegisterTriggerType m -> {
        if (gate == null) {
          registerTriggerType(m);
        } else {
          admit(gate.admitTriggerType(m), this::registerTriggerType);
        }
      }
      case UnregisterTriggerType m -> engine.triggers().unregisterType(m.id(), worker);
      case Reattach m -> onReattach(m);
      case Ping p -> worker.connection().send(Pong.INSTANCE);
      case Pong p -> {}
      case RegisterService m -> log.debug("worker {} registered service {}", worker.id(), LogSafe.escape(m.id()));
      case WorkerRegistered m -> {}
    }
  }

  // ------------------------------------------------------------------ calls

  private void onInvoke(InvokeFunction m) {
    TriggerAction action = m.action();
    Call call =
        new Call(m.functionId(), m.data(), m.metadata(), m.traceparent(), m.baggage(), worker.id(), m.timeoutMs(), action);
    boolean wantsReply = m.invocationId() != null && !(action instanceof TriggerAction.FireAndForget);
    CompletableFuture<JsonNode> result = engine.router().invoke(call);
    if (!wantsReply) {
      result.whenComplete(
          (r, e) -> {
            if (e != null && log.isDebugEnabled()) {
              log.debug("fire-and-forget call to {} failed: {}", LogSafe.escape(m.functionId()), e.getMessage());
            }
          });
      return;
    }
    UUID id = m.invocationId();
    worker.callsInFlight.put(id, result);
    result.whenComplete(
        (value, failure) -> {
          if (!worker.callsInFlight.remove(id, result)) {
            return; // the caller left; its result is discarded
          }
          worker
              .connection()
              .send(
                  failure == null
                      ? InvocationResult.success(id, m.functionId(), value)
                      : InvocationResult.failure(id, m.functionId(), InvocationException.bodyOf(failure)));
        });
  }

  // ------------------------------------------------------------------ registrations

  /**
   * Applies a vetted registration: at once when the gate decided in place, else when the hook
   * answers, holding the messages that arrive meanwhile and then handling them in order.
   */
  private <T> void admit(CompletableFuture<T> admission, Consumer<T> apply) {
    if (admission.isDone()) {
      T admitted = admission.getNow(null);
      if (admitted != null) {
        apply.accept(admitted);
      }
      return;
    }
    synchronized (held) {
      ordered = true; // later messages now wait their turn behind this one
      holding = true;
    }
    admission.thenAccept(
        admitted -> {
          synchronized (held) {
            holding = false; // before applying: applying may itself have to wait (and hold again)
            if (admitted != null && !worker.isGone()) {
              apply.accept(admitted);
            }
            while (!holding && !held.isEmpty() && !worker.isGone()) {
              handle(held.poll());
            }
          }
        });
  }

  private void onRegisterFunction(RegisterFunction m) {
    if (gate == null) {
      registerFunction(m, m.id());
    } else {
      admit(gate.admitFunction(m), admitted -> registerFunction(admitted, m.id()));
    }
  }

  private void onUnregisterFunction(UnregisterFunction m) {
    String stored = gate == null ? m.id() : storedIds.remove(m.id());
    if (stored != null) {
      engine.unregisterFunction(worker, stored);
    }
  }

  /** Only the worker that bound a trigger may remove it, unless it comes from an open listener (as upstream). */
  private void onUnregisterTrigger(UnregisterTrigger m) {
    if (gate != null
        && engine.triggers().binding(m.id()).filter(b -> worker.id().equals(b.ownerWorkerId())).isEmpty()) {
      return;
    }
    engine.triggers().unregisterBinding(m.id());
  }

  private void registerTriggerType(RegisterTriggerType m) {
    engine
        .triggers()
        .registerType(
            new TriggerTypeEntry(m.id(), m.description(), m.triggerRequestFormat(), m.callRequestFormat(), worker, null));
  }

  /** Registers {@code m.id()} as served by this worker under {@code localId}, the id it knows. */
  private void registerFunction(RegisterFunction m, String localId) {
    if (m.invocation() != null) {
      registerExternalFunction(m, localId);
      return;
    }
    addFunction(m, localId, null);
  }

  /**
   * A function the engine executes on this worker's behalf ({@code invocation} is set). The worker
   * that serves such functions checks the block first; a refused registration is only logged, as
   * upstream does, and later messages wait for the checks so a call right after still finds it.
   */
  private void registerExternalFunction(RegisterFunction m, String localId) {
    ExternalFunctions external = engine.externalFunctions();
    if (external == null) {
      // Upstream ignores the registration too when iii-http-functions is not loaded.
      log.warn("ignoring HTTP-invoked function {}: iii-http-functions is not enabled", LogSafe.escape(m.id()));
      return;
    }
    CompletableFuture<BuiltinFunction> prepared;
    try {
      prepared = external.prepare(m.id(), m.invocation());
    } catch (RuntimeException e) {
      prepared = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<BuiltinFunction> accepted =
        prepared.handle(
            (function, failure) -> {
              if (failure != null) {
                ErrorBody error = InvocationException.bodyOf(failure);
                log.warn(
                    "worker {} may not register function {}: {}: {}",
                    worker.describe(),
                    LogSafe.escape(m.id()),
                    error.code(),
                    LogSafe.escape(error.message()));
                return null;
              }
              return function;
            });
    admit(accepted, function -> addFunction(m, localId, function));
  }

  /** Puts the function in the table; {@code executor} is null when this worker executes it itself. */
  private void addFunction(RegisterFunction m, String localId, BuiltinFunction executor) {
    FunctionEntry entry =
        new FunctionEntry(m.id(), m.description(), m.requestFormat(), m.responseFormat(), m.metadata(), worker, localId, executor);
    switch (engine.functionTable().register(entry)) {
      case ADDED -> registered(m.id(), localId);
      case TOOK_OVER -> {
        registered(m.id(), localId);
        log.warn(
            "function {} is now served by worker {}; its previous owner serves it again when this one leaves",
            LogSafe.escape(m.id()),
            worker.describe());
      }
      case REFUSED -> {
        if (refusedIds.add(m.id())) {
          log.warn(
              "worker {} may not register function {}: the id belongs to a built-in worker; refused",
              worker.describe(),
              LogSafe.escape(m.id()));
        }
      }
    }
  }

  private void registered(String storedId, String localId) {
    worker.functionIds.add(storedId);
    if (gate != null) {
      storedIds.put(localId, storedId);
    }
    if (worker.isGone()) {
      // A registration that waited may land while the worker leaves; the cleanup may have run
      // before the id was recorded, so it is withdrawn here (twice is harmless).
      engine.unregisterFunction(worker, storedId);
    }
  }

  private void registerTrigger(RegisterTrigger m) {
    TriggerBinding binding =
        new TriggerBinding(m.id(), m.triggerType(), m.functionId(), m.config(), m.metadata(), worker.id());
    engine
        .triggers()
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

  private void onReattach(Reattach m) {
    if (Uuids.parseStrict(m.previousWorkerId()) == null || m.previousWorkerId().equals(worker.id())) {
      return;
    }
    Worker previous = engine.worker(m.previousWorkerId()).orElse(null);
    if (previous == null || previous.isBuiltin() || !previous.reattachToken().equals(m.reattachToken())) {
      return;
    }
    log.info("worker {} reattached as {}", previous.id(), worker.id());
    engine.disconnected(previous);
    previous.connection().close("reattached by " + worker.id());
  }
}
