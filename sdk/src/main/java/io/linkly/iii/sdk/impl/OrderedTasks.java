package io.linkly.iii.sdk.impl;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Runs tasks on an executor, one key at a time and in submission order, while different keys run
 * in parallel. Keeps a provider's register/unregister of one binding from overtaking each other.
 * Only keys with unfinished work are remembered.
 */
final class OrderedTasks {

  private final Executor executor;
  private final ConcurrentHashMap<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

  OrderedTasks(Executor executor) {
    this.executor = executor;
  }

  /** {@code task} must handle its own failures. */
  void submit(String key, Runnable task) {
    CompletableFuture<Void> tail =
        tails.compute(
            key,
            (k, previous) ->
                previous == null
                    ? CompletableFuture.runAsync(task, executor)
                    : previous.handle((v, e) -> null).thenRunAsync(task, executor));
    tail.whenComplete((v, e) -> tails.remove(key, tail));
  }
}
