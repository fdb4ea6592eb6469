package io.linkly.iii.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.LocalEngine;
import io.linkly.iii.sdk.impl.IiiClient;
import java.util.concurrent.CompletableFuture;

/**
 * A worker connected to an iii engine. It connects in the background and keeps reconnecting;
 * everything registered here is sent on every (re)connect, and calls made while disconnected wait
 * in a bounded queue until the connection is back.
 *
 * <pre>{@code
 * try (Iii iii = Iii.registerWorker("ws://localhost:49134")) {
 *   iii.registerFunction("math::add", (data, ctx) ->
 *       data.get("a").asInt() + data.get("b").asInt());
 *   JsonNode sum = iii.trigger(TriggerRequest.of("math::add", Map.of("a", 1, "b", 2)));
 * }
 * }</pre>
 */
public interface Iii extends AutoCloseable {

  /** Starts a worker with default options; returns at once and connects in the background. */
  static Iii registerWorker(String url) {
    return registerWorker(url, WorkerOptions.defaults());
  }

  static Iii registerWorker(String url, WorkerOptions options) {
    return IiiClient.start(url, options);
  }

  /**
   * Starts a worker inside the JVM of {@code engine}: the same API and the same engine-side
   * registry, routing and limits as over a socket, with no socket and no JSON text in between. It
   * is registered when this returns; {@link #shutdown} detaches it.
   */
  static Iii registerWorker(LocalEngine engine, WorkerOptions options) {
    return IiiClient.start(engine, options);
  }

  /** Completes when the engine has accepted the first connection. */
  CompletableFuture<Void> ready();

  /** The id the engine gave the current connection; null before the first one. */
  String workerId();

  FunctionRef registerFunction(String id, FunctionHandler handler);

  FunctionRef registerFunction(FunctionDefinition definition, FunctionHandler handler);

  /** A function whose input is converted to {@code inputType} with Jackson. */
  <I> FunctionRef registerFunction(String id, Class<I> inputType, TypedHandler<I> handler);

  TriggerRef registerTrigger(TriggerBinding binding);

  /** Makes this worker the provider of a custom trigger type. */
  TriggerTypeRef registerTriggerType(String id, String description, TriggerTypeHandler handler);

  /**
   * Calls a function and waits. Returns the result, or null when there is none (and at once for
   * {@code TriggerAction.Void()}).
   *
   * @throws IiiException the call failed, timed out ({@code TIMEOUT}) or the worker shut down
   */
  JsonNode trigger(TriggerRequest request);

  /** {@link #trigger(TriggerRequest)} with the result converted to {@code resultType}. */
  <T> T trigger(TriggerRequest request, Class<T> resultType);

  /**
   * Calls a function without waiting. The future fails with an {@link IiiException}; its
   * dependent stages run on the handler executor, never on the I/O thread.
   */
  CompletableFuture<JsonNode> triggerAsync(TriggerRequest request);

  /**
   * Creates a data channel on the engine ({@code engine::channels::create}) holding up to {@code
   * bufferSize} frames between its ends (the engine clamps it to 1..1024).
   *
   * @throws IiiException the engine could not create it
   */
  Channel createChannel(int bufferSize);

  /** {@link #createChannel(int)} with the engine's default buffer (64 frames). */
  default Channel createChannel() {
    return createChannel(64);
  }

  /** A logger whose lines carry this worker's name. */
  Logger logger();

  /** A logger with its own SLF4J name. */
  Logger logger(String name);

  /** Fails pending calls, closes the connection and stops reconnecting. Idempotent. */
  void shutdown();

  @Override
  default void close() {
    shutdown();
  }
}
