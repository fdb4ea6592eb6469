package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * A call a worker is executing for the engine, keyed by the engine's own invocation id. Its
 * future ends exactly once: answered, failed, timed out, cancelled by the caller, or stopped
 * because the executor left. Whatever ends it also releases the executor's slot.
 */
final class Invocation {

  final UUID id;
  final Worker executor;
  final CompletableFuture<JsonNode> future = new CompletableFuture<>();

  Invocation(UUID id, Worker executor) {
    this.id = id;
    this.executor = executor;
  }
}
