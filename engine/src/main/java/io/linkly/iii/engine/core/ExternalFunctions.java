package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletableFuture;

/**
 * Executes the functions a worker registers with an {@code invocation} block (PROTOCOL.md §3.1):
 * the worker owns the id, but the engine itself carries out each call. The core hands the block
 * over as it came and registers whatever function comes back; it knows nothing of what the block
 * means. {@code iii-http-functions} installs one; without it such registrations are ignored.
 */
@FunctionalInterface
public interface ExternalFunctions {

  /**
   * Checks one registration and returns the function that will serve {@code functionId}. The future
   * may complete later (checks that look a name up); it fails with an {@link InvocationException}
   * when the registration is refused, and then nothing is registered.
   */
  CompletableFuture<BuiltinFunction> prepare(String functionId, JsonNode invocation);
}
