package io.linkly.iii.engine.workers.stream;

import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * An engine with a file-based stream store in a process of its own, for the kill -9 test. Args: the
 * store's directory, and a file to write the worker URL into once ready. Runs until killed (or
 * stdin closes).
 */
public final class StreamDurabilityChild {

  private StreamDurabilityChild() {}

  static EngineConfig config(Path store) {
    return EngineConfig.ephemeral().withSetting("iii-stream", "adapter", Json.mapper().valueToTree(java.util.Map.of(
        "name", "kv", "config", java.util.Map.of("store_method", "file_based", "file_path", store.toString()))));
  }

  public static void main(String[] args) throws Exception {
    IiiEngine engine = IiiEngine.start(config(Path.of(args[0])));
    Path ready = Path.of(args[1]);
    Path partial = Path.of(args[1] + ".partial");
    Files.writeString(partial, engine.workerUrl());
    Files.move(partial, ready, StandardCopyOption.ATOMIC_MOVE);
    while (System.in.read() >= 0) {
      // keep running until the parent goes away
    }
    engine.close();
  }
}
