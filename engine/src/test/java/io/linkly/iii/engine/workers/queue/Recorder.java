package io.linkly.iii.engine.workers.queue;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.protocol.Json;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A handler function that records every call and fails on demand. */
final class Recorder {

  record Seen(JsonNode data, long nanos, int index) {}

  /** Decides the outcome of call number {@code index} (1-based); null means success. */
  @FunctionalInterface
  interface Outcome {
    String failure(int index, JsonNode data);
  }

  final List<Seen> calls = new CopyOnWriteArrayList<>();
  private final AtomicInteger counter = new AtomicInteger();
  volatile Outcome outcome;

  Recorder(Outcome outcome) {
    this.outcome = outcome;
  }

  static Recorder succeeding() {
    return new Recorder((i, d) -> null);
  }

  static Recorder failingFirst(int failures) {
    return new Recorder((i, d) -> i <= failures ? "boom " + i : null);
  }

  static Recorder alwaysFailing() {
    return new Recorder((i, d) -> "always broken");
  }

  BuiltinFunction function() {
    return call -> {
      int index = counter.incrementAndGet();
      calls.add(new Seen(call.data(), System.nanoTime(), index));
      String failure = outcome.failure(index, call.data());
      if (failure != null) {
        return CompletableFuture.failedFuture(new InvocationException("invocation_failed", failure));
      }
      return CompletableFuture.completedFuture(Json.object().put("ok", true));
    };
  }

  int count() {
    return calls.size();
  }
}
