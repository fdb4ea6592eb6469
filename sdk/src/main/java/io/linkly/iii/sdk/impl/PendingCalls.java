package io.linkly.iii.sdk.impl;

import io.linkly.iii.protocol.InvocationResult;
import io.linkly.iii.sdk.IiiException;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** Calls waiting for their {@code invocationresult}, by invocation id. */
final class PendingCalls {

  /** The error a deadline-enforcing engine answers with when a call's {@code timeout_ms} passed. */
  static final String ENGINE_TIMEOUT = "invocation_timeout";

  private final ConcurrentHashMap<UUID, PendingCall> calls = new ConcurrentHashMap<>();

  /**
   * Opens a call. {@code timeoutError} builds the failure used when the timeout (counted from
   * now) expires first.
   */
  PendingCall open(UUID id, String functionId, long timeoutNanos, Supplier<IiiException> timeoutError) {
    PendingCall call =
        new PendingCall(id, functionId, timeoutNanos, c -> abandon(c, timeoutError.get()), timeoutError);
    calls.put(id, call);
    return call;
  }

  /** Completes the matching call on the calling (I/O) thread; unknown ids are ignored. */
  void complete(InvocationResult result) {
    PendingCall call = calls.remove(result.invocationId());
    if (call == null) {
      return;
    }
    call.disarm();
    if (result.error() != null && ENGINE_TIMEOUT.equals(result.error().code())) {
      // the engine gave up at this call's own deadline: the same TIMEOUT as a local timer's
      call.future().completeExceptionally(call.timeoutError());
    } else if (result.error() != null) {
      call.future().completeExceptionally(IiiException.from(result.error(), call.functionId()));
    } else {
      call.future().complete(result.hasResult() ? result.result() : null);
    }
  }

  /** Gives up on a call locally; a late result is then ignored. */
  void abandon(PendingCall call, IiiException reason) {
    calls.remove(call.id(), call);
    call.disarm();
    call.future().completeExceptionally(reason);
  }

  /** Fails every waiting call, each with its own exception (they are thrown on many threads). */
  void failAll(Supplier<IiiException> reason) {
    for (PendingCall call : calls.values()) {
      abandon(call, reason.get());
    }
  }
}
