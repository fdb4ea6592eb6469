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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connected worker's conversation with the engine, whatever carries it (a WebSocket or an
 * in-process link): registrations, reattach, pings, its calls and its answers, and the cleanup
 * when it goes (PROTOCOL.md §1.8).
 *
 * <p>A socket delivers frames one at a time in order; an in-process worker may call
 * {@link #onMessage} from many threads at once, so nothing here relies on a single caller.
 */
public final class Session {

  private static final Logger log = LoggerFactory.getLogger(Session.class);

  private final Engine engine;
  private final Worker worker;
  private final Set<String> refusedIds = ConcurrentHashMap.newKeySet();

  Session(Engine engine, Worker worker) {
    this.engine = engine;
    this.worker = worker;
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
    switch (message) {
      case InvokeFunction m -> onInvoke(m);
      case InvocationResult m -> engine.router().onResult(worker, m);
      case RegisterFunction m -> onRegisterFunction(m);
      case UnregisterFunction m -> engine.unregisterFunction(worker, m.id());
      case RegisterTrigger m -> onRegisterTrigger(m);
      case UnregisterTrigger m -> engine.triggers().unregisterBinding(m.id());
      case TriggerRegistrationResult m -> engine.triggers().onProviderResult(worker, m);
      case RegisterTriggerType m ->
          engine
              .triggers()
              .registerType(
                  new TriggerTypeEntry(
                      m.id(), m.description(), m.triggerRequestFormat(), m.callRequestFormat(), worker, null));
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
    Call call = new Call(m.functionId(), m.data(), m.metadata(), m.traceparent(), m.baggage(), worker.id(), m.timeoutMs());
    TriggerAction action = m.action();
    boolean wantsReply = m.invocationId() != null && !(action instanceof TriggerAction.FireAndForget);
    CompletableFuture<JsonNode> result =
        action == null || action instanceof TriggerAction.FireAndForget
            ? engine.router().invoke(call)
            : engine.router().act(call, action);
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

  private void onRegisterFunction(RegisterFunction m) {
    if (m.invocation() != null) {
      // HTTP-invoked functions need iii-http-functions, which this engine does not ship yet;
      // upstream ignores the registration silently in that case too.
      log.warn("ignoring HTTP-invoked function {}: iii-http-functions is not enabled", LogSafe.escape(m.id()));
      return;
    }
    FunctionEntry entry =
        new FunctionEntry(m.id(), m.description(), m.requestFormat(), m.responseFormat(), m.metadata(), worker, m.id(), null);
    switch (engine.functionTable().register(entry)) {
      case ADDED -> worker.functionIds.add(m.id());
      case TOOK_OVER -> {
        worker.functionIds.add(m.id());
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

  private void onRegisterTrigger(RegisterTrigger m) {
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
