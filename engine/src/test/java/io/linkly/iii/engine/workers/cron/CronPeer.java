package io.linkly.iii.engine.workers.cron;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.testing.RawWorker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A worker on the wire for cron tests: serves functions (recording every call the engine makes),
 * binds and unbinds {@code cron} triggers, and reads the engine's verdict on a binding.
 */
final class CronPeer implements AutoCloseable {

  private final IiiEngine engine;
  private final RawWorker raw;
  private final Map<String, Function<JsonNode, String>> replies = new ConcurrentHashMap<>();
  private final List<JsonNode> calls = new CopyOnWriteArrayList<>();
  private final List<JsonNode> rejections = new CopyOnWriteArrayList<>();
  private final Thread reader;
  private volatile boolean running = true;

  private CronPeer(IiiEngine engine) throws Exception {
    this.engine = engine;
    this.raw = RawWorker.connect(engine.workerUrl());
    this.reader = Thread.ofVirtual().start(this::read);
  }

  static CronPeer connect(IiiEngine engine) throws Exception {
    return new CronPeer(engine);
  }

  /**
   * Registers {@code function}, answering each call with the JSON members {@code reply(call)} gives
   * (such as {@code "result":false}), or not at all when it gives null.
   */
  CronPeer serve(String function, Function<JsonNode, String> reply) {
    replies.put(function, reply);
    raw.send("{\"type\":\"registerfunction\",\"id\":\"" + function + "\"}");
    await().until(() -> engine.core().function(function).isPresent());
    return this;
  }

  CronPeer serve(String function) {
    return serve(function, call -> "\"result\":null");
  }

  /** Binds a cron trigger and returns once it is live. */
  CronPeer bind(String id, String function, String config) {
    send(id, function, config, null);
    await().until(() -> engine.core().triggerBindings().stream().anyMatch(b -> b.id().equals(id)));
    return this;
  }

  CronPeer bind(String id, String function, String config, String metadata) {
    send(id, function, config, metadata);
    await().until(() -> engine.core().triggerBindings().stream().anyMatch(b -> b.id().equals(id)));
    return this;
  }

  /** Binds a cron trigger the engine must refuse; returns the refusal's error message. */
  String refused(String id, String function, String config) {
    send(id, function, config, null);
    JsonNode result = await().atMost(Duration.ofSeconds(10)).until(
        () -> rejections.stream().filter(r -> r.path("id").asText().equals(id)).findFirst().orElse(null), r -> r != null);
    if (!result.path("error").path("code").asText().equals("trigger_registration_failed")) {
      throw new AssertionError("not a registration failure: " + result);
    }
    return result.path("error").path("message").asText();
  }

  CronPeer unbind(String id) {
    raw.send("{\"type\":\"unregistertrigger\",\"id\":\"" + id + "\",\"trigger_type\":\"cron\"}");
    await().until(() -> engine.core().triggerBindings().stream().noneMatch(b -> b.id().equals(id)));
    return this;
  }

  /** Every call of {@code function} so far, oldest first: the whole {@code invokefunction} frames. */
  List<JsonNode> calls(String function) {
    return calls.stream().filter(c -> c.path("function_id").asText().equals(function)).toList();
  }

  private void send(String id, String function, String config, String metadata) {
    raw.send("{\"type\":\"registertrigger\",\"id\":\"" + id + "\",\"trigger_type\":\"cron\",\"function_id\":\"" + function
        + "\",\"config\":" + config + (metadata == null ? "" : ",\"metadata\":" + metadata) + "}");
  }

  /** The only reader of the socket, so no frame is missed between two waits. */
  private void read() {
    while (running) {
      try {
        JsonNode frame = raw.next(m -> true, Duration.ofMillis(100));
        if (frame == null) {
          continue;
        }
        String type = frame.path("type").asText();
        if (type.equals("triggerregistrationresult")) {
          rejections.add(frame);
        } else if (type.equals("invokefunction")) {
          calls.add(frame);
          String function = frame.path("function_id").asText();
          Function<JsonNode, String> reply = replies.get(function);
          String answer = reply == null ? null : reply.apply(frame);
          if (answer != null) { // null: the call stays unanswered
            raw.send("{\"type\":\"invocationresult\",\"invocation_id\":\"" + frame.path("invocation_id").asText()
                + "\",\"function_id\":\"" + function + "\"," + answer + "}");
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // the socket closed under us at the end of a test
      }
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      reader.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    raw.close();
  }
}
