package io.linkly.iii.engine.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.protocol.InvocationResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bridge's calls that await the backend's answer, by invocation id. A call leaves the table
 * however it ends (answer, error, timeout, lost connection), so the table only holds calls someone
 * still waits for; past {@code max} of them new calls are refused (the check is not atomic, so a
 * burst may pass it by a few), which bounds the memory a stuck backend can make us hold.
 */
final class BridgeCalls {

  private final Map<UUID, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final int max;

  BridgeCalls(int max) {
    this.max = max;
  }

  /** A new call's future, or null when {@code max} calls are waiting already. */
  CompletableFuture<JsonNode> open(UUID id) {
    if (pending.size() >= max) {
      return null;
    }
    CompletableFuture<JsonNode> call = new CompletableFuture<>();
    pending.put(id, call);
    call.whenComplete((r, e) -> pending.remove(id, call));
    return call;
  }

  /** The backend's answer: its result (null: none), or its error passed on unchanged. */
  void answer(InvocationResult result) {
    CompletableFuture<JsonNode> call = pending.get(result.invocationId());
    if (call == null) {
      return; // timed out or failed meanwhile; the late answer has no one to go to
    }
    if (result.error() != null) {
      call.completeExceptionally(new InvocationException(result.error()));
    } else {
      call.complete(result.hasResult() ? result.result() : null);
    }
  }

  void fail(UUID id, BridgeException why) {
    CompletableFuture<JsonNode> call = pending.get(id);
    if (call != null) {
      call.completeExceptionally(why);
    }
  }

  /** Fails every waiting call, such as when the connection they were sent on is gone. */
  void failAll(BridgeException why) {
    List<CompletableFuture<JsonNode>> all = new ArrayList<>(pending.values());
    all.forEach(call -> call.completeExceptionally(why));
  }

  int size() {
    return pending.size();
  }
}
