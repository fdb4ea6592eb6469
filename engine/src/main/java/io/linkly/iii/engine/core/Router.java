package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.ErrorBody;
import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.protocol.InvocationResult;
import io.linkly.iii.protocol.InvokeFunction;
import io.linkly.iii.protocol.Uuids;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes every invocation, whoever makes it: through the interceptor chain to its target — a
 * built-in (called directly) or a worker (socket or in-process) — under a deadline, and within the
 * target worker's cap on calls in flight.
 *
 * <p>A call to a worker is held in that worker's table of executing invocations until its result
 * arrives, its deadline passes ({@code invocation_timeout}), its caller cancels it, or the worker
 * leaves ({@code invocation_stopped}); whichever comes first ends it and frees the slot.
 */
public final class Router implements AutoCloseable {

  public static final String INVOCATION_TIMEOUT = "invocation_timeout";
  public static final String WORKER_BUSY = "worker_busy";

  private static final Logger log = LoggerFactory.getLogger(Router.class);

  private final FunctionTable functions;
  private final TriggerActions actions;
  private final RouterSettings settings;
  private final InvocationCounters counters;
  private final HashedWheelTimer deadlines;
  private final AtomicInteger pending = new AtomicInteger();
  private volatile InvocationInterceptor[] interceptors;

  /** @param access the listener rules on a worker's calls, first in line (they may reroute a call) */
  Router(FunctionTable functions, TriggerActions actions, RouterSettings settings, InvocationInterceptor access) {
    this.functions = functions;
    this.actions = actions;
    this.settings = settings;
    this.counters = new InvocationCounters(id -> functions.get(id) != null);
    this.interceptors = new InvocationInterceptor[] {access, new CallerIdInterceptor(), counters};
    // Ticks of 10 ms: deadlines are coarse by nature, and arming one costs a queue insert.
    this.deadlines =
        new HashedWheelTimer(
            r -> {
              Thread t = new Thread(r, "iii-deadlines");
              t.setDaemon(true);
              return t;
            },
            10,
            TimeUnit.MILLISECONDS,
            512);
  }

  /** Appends an interceptor; it sees every invocation that starts afterwards. */
  public synchronized void addInterceptor(InvocationInterceptor interceptor) {
    InvocationInterceptor[] current = interceptors;
    InvocationInterceptor[] next = java.util.Arrays.copyOf(current, current.length + 1);
    next[current.length] = interceptor;
    interceptors = next;
  }

  public InvocationCounters.Snapshot counters() {
    return counters.snapshot();
  }

  /** Per-function counts and latencies, for {@code engine::metrics::list} and {@code /metrics}. */
  public InvocationCounters invocationCounters() {
    return counters;
  }

  /** Calls to workers that have not ended yet. */
  public int pendingInvocations() {
    return pending.get();
  }

  // ------------------------------------------------------------------ invoking

  /**
   * Calls any function, wherever it lives, or hands a call that carries an action such as {@code
   * enqueue} to that action's handler once the chain has let it through. The future fails with an {@link InvocationException};
   * cancelling it abandons the call (the executor's late result is dropped).
   */
  public CompletableFuture<JsonNode> invoke(Call call) {
    return withDeadline(call, run(interceptors, 0, call));
  }

  private CompletableFuture<JsonNode> withDeadline(Call call, CompletableFuture<JsonNode> inner) {
    if (inner.isDone()) {
      return inner; // answered in place: no timer to arm
    }
    long timeoutMs = call.timeoutMs() != null ? call.timeoutMs() : settings.invocationTimeoutMs();
    CompletableFuture<JsonNode> outcome = new CompletableFuture<>();
    Timeout timer =
        deadlines.newTimeout(
            t -> {
              if (outcome.completeExceptionally(timedOut(call.functionId(), timeoutMs))) {
                counters.countTimeout(call.functionId());
                inner.cancel(false);
              }
            },
            timeoutMs,
            TimeUnit.MILLISECONDS);
    inner.whenComplete(
        (value, failure) -> {
          timer.cancel();
          if (failure == null) {
            outcome.complete(value);
          } else {
            outcome.completeExceptionally(unwrap(failure));
          }
        });
    outcome.whenComplete(
        (value, failure) -> {
          if (failure instanceof CancellationException) {
            inner.cancel(false); // the caller gave up: so does the target's side
          }
        });
    return outcome;
  }

  private CompletableFuture<JsonNode> run(InvocationInterceptor[] chain, int index, Call call) {
    if (index == chain.length) {
      return call.isHandledByAction() ? actions.handle(call, call.action()) : dispatch(call);
    }
    try {
      return chain[index].intercept(new Step(chain, index, call));
    } catch (InvocationException e) {
      return CompletableFuture.failedFuture(e);
    } catch (RuntimeException e) {
      log.error("interceptor {} failed on {}", chain[index].getClass().getSimpleName(), LogSafe.escape(call.functionId()), e);
      return CompletableFuture.failedFuture(
          new InvocationException(ErrorCodes.INVOCATION_FAILED, "the engine failed to route the call"));
    }
  }

  private final class Step implements InvocationInterceptor.Chain {
    private final InvocationInterceptor[] chain;
    private final int index;
    private final Call call;

    Step(InvocationInterceptor[] chain, int index, Call call) {
      this.chain = chain;
      this.index = index;
      this.call = call;
    }

    @Override
    public Call call() {
      return call;
    }

    @Override
    public CompletableFuture<JsonNode> proceed(Call next) {
      return run(chain, index + 1, next);
    }
  }

  private CompletableFuture<JsonNode> dispatch(Call call) {
    FunctionEntry function = functions.get(call.functionId());
    if (function == null) {
      return CompletableFuture.failedFuture(new InvocationException(ErrorBody.functionNotFound(call.functionId())));
    }
    if (function.builtin() != null) {
      return invokeBuiltin(function, call);
    }
    return invokeWorker(function, call);
  }

  private static CompletableFuture<JsonNode> invokeBuiltin(FunctionEntry function, Call call) {
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

  private CompletableFuture<JsonNode> invokeWorker(FunctionEntry function, Call call) {
    Worker executor = function.owner();
    if (executor.executing.size() >= settings.maxInvocationsPerWorker()) {
      return CompletableFuture.failedFuture(
          new InvocationException(
              WORKER_BUSY,
              "the worker serving " + call.functionId() + " already has " + settings.maxInvocationsPerWorker()
                  + " calls in flight (max_invocations_per_worker); try again later"));
    }
    Invocation invocation = new Invocation(Uuids.fast(), executor);
    executor.executing.put(invocation.id, invocation);
    pending.incrementAndGet();
    invocation.future.whenComplete(
        (value, failure) -> {
          if (executor.executing.remove(invocation.id, invocation)) {
            pending.decrementAndGet();
          }
        });
    if (executor.isGone()) {
      // The executor left between lookup and registration; its cleanup may have missed this call.
      invocation.future.completeExceptionally(new InvocationException(ErrorBody.invocationStopped()));
      return invocation.future;
    }
    executor
        .connection()
        .send(
            new InvokeFunction(
                invocation.id, function.localId(), call.data(), null, call.metadata(), call.traceparent(), call.baggage()));
    return invocation.future;
  }

  // ------------------------------------------------------------------ results and departures

  /** An executor's answer; unknown, ended or foreign invocation ids are ignored. */
  void onResult(Worker executor, InvocationResult result) {
    Invocation invocation = executor.executing.get(result.invocationId());
    if (invocation == null) {
      return;
    }
    if (result.error() != null) {
      invocation.future.completeExceptionally(new InvocationException(result.error()));
    } else {
      invocation.future.complete(result.hasResult() ? result.result() : null);
    }
  }

  /** The executor left: every call it was executing ends with {@code invocation_stopped}. */
  void stopAll(Worker executor) {
    for (Invocation invocation : List.copyOf(executor.executing.values())) {
      invocation.future.completeExceptionally(new InvocationException(ErrorBody.invocationStopped()));
    }
  }

  private static InvocationException timedOut(String functionId, long timeoutMs) {
    return new InvocationException(
        INVOCATION_TIMEOUT, "Invocation of " + functionId + " timed out after " + timeoutMs + " ms");
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  @Override
  public void close() {
    deadlines.stop();
  }
}
