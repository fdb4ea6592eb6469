package io.linkly.iii.engine.workers.state;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.testing.RawWorker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Serves functions on a raw worker: every call the engine sends is recorded, and calls of a served
 * function are answered at once (by default with no result); others stay unanswered. A reply is the JSON members after the ids, e.g.
 * {@code "result":false} or {@code "error":{"code":"x","message":"y"}}.
 */
final class Responder implements AutoCloseable {

  private final RawWorker worker;
  private final Map<String, Function<JsonNode, String>> replies = new ConcurrentHashMap<>();
  private final List<JsonNode> calls = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;

  Responder(RawWorker worker) {
    this.worker = worker;
    this.thread = Thread.ofVirtual().start(this::serve);
  }

  /** Registers {@code function} on the worker and answers its calls with {@code reply(call)}. */
  Responder serve(String function, Function<JsonNode, String> reply) {
    replies.put(function, reply);
    worker.send("{\"type\":\"registerfunction\",\"id\":\"" + function + "\"}");
    return this;
  }

  Responder serve(String function) {
    return serve(function, call -> "\"result\":null");
  }

  private void serve() {
    while (running) {
      try {
        JsonNode call = worker.next(m -> m.path("type").asText().equals("invokefunction"), Duration.ofMillis(100));
        if (call == null) {
          continue;
        }
        calls.add(call);
        String function = call.get("function_id").asText();
        Function<JsonNode, String> answer = replies.get(function);
        if (answer == null) {
          continue; // not served: the call stays unanswered
        }
        String reply = answer.apply(call);
        worker.send("{\"type\":\"invocationresult\",\"invocation_id\":\"" + call.get("invocation_id").asText()
            + "\",\"function_id\":\"" + function + "\"," + reply + "}");
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // the socket closed under us at the end of a test
      }
    }
  }

  /** Waits for a call of {@code function} matching {@code filter}. */
  JsonNode awaitCall(String function, Predicate<JsonNode> filter) {
    return await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> calls.stream()
            .filter(c -> c.get("function_id").asText().equals(function) && filter.test(c))
            .findFirst()
            .orElse(null), c -> c != null);
  }

  JsonNode awaitCall(String function, String key) {
    return awaitCall(function, c -> c.path("data").path("key").asText().equals(key));
  }

  List<JsonNode> calls(String function) {
    return calls.stream().filter(c -> c.get("function_id").asText().equals(function)).toList();
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
