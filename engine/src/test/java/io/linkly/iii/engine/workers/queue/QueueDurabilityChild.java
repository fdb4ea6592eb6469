package io.linkly.iii.engine.workers.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.testing.ChildEngine;
import io.linkly.iii.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An engine in a process of its own, for the kill -9 test. Args: the {@code adapter:} block as JSON,
 * a file to write the worker URL into once ready, and a file to which the click handler appends
 * the {@code n} of every message it starts. The handler never finishes, so every message stays
 * unprocessed: up to {@code concurrency} in flight, the rest waiting. Exits when stdin closes.
 */
public final class QueueDurabilityChild {

  static final String FUNCTION = "link::record_click";

  private QueueDurabilityChild() {}

  static ObjectNode queueConfig(JsonNode adapter) {
    ObjectNode config = Json.object();
    config.set("adapter", adapter);
    config.putObject("queue_configs").putObject("clicks").put("type", "standard").put("max_retries", 5).put("concurrency", 5);
    return config;
  }

  static IiiEngine engine(JsonNode adapter, BuiltinFunction handler) throws Exception {
    EngineConfig config = EngineConfig.ephemeral().with(HandlersWorker.NAME, null).with(QueueWorker.NAME, queueConfig(adapter));
    return IiiEngine.start(config, HandlersWorker.catalogue(Map.of(FUNCTION, handler)), Clock.systemUTC());
  }

  public static void main(String[] args) throws Exception {
    JsonNode adapter = Json.mapper().readTree(args[0]);
    Path started = Path.of(args[2]);
    BuiltinFunction hang =
        call -> {
          String line = call.data().get("n").asText() + "\n";
          Thread.ofVirtual().start(() -> {
            try {
              Files.writeString(started, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (java.io.IOException e) {
              e.printStackTrace();
            }
          });
          return new CompletableFuture<>(); // never answers: the message stays in flight
        };
    ChildEngine.serveUntilParentLeaves(engine(adapter, hang), Path.of(args[1]));
  }
}
