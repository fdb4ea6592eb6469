package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A function implemented inside the engine. It must not block the calling thread: pure in-memory
 * work may finish inline ({@link #sync}); anything that can block runs elsewhere ({@link #blocking}).
 * A failure is an {@link InvocationException} carrying the wire error.
 */
@FunctionalInterface
public interface BuiltinFunction {

  CompletableFuture<JsonNode> invoke(Call call);

  /** Work that only touches memory; it runs on the caller's thread. */
  @FunctionalInterface
  interface SyncBody {
    JsonNode apply(Call call) throws InvocationException;
  }

  static BuiltinFunction sync(SyncBody body) {
    return call -> {
      try {
        return CompletableFuture.completedFuture(body.apply(call));
      } catch (InvocationException e) {
        return CompletableFuture.failedFuture(e);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(
            new InvocationException(
                io.linkly.iii.protocol.ErrorCodes.INVOCATION_FAILED, String.valueOf(e.getMessage())));
      }
    };
  }

  /** Work that may block (disk, database, network); it runs on the given executor. */
  static BuiltinFunction blocking(Executor executor, SyncBody body) {
    BuiltinFunction inline = sync(body);
    return call ->
        CompletableFuture.supplyAsync(() -> inline.invoke(call), executor)
            .thenCompose(f -> f);
  }
}
