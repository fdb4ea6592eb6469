package io.linkly.iii.engine.workers.database;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * An engine in a process of its own, for the kill -9 test: args are the SQLite URL and a file to
 * write the worker URL into once the engine is ready. It exits when its parent closes stdin.
 */
public final class DurabilityChild {

  private DurabilityChild() {}

  public static void main(String[] args) throws Exception {
    ObjectNode databases = Json.object();
    databases.putObject("primary").put("url", args[0]);
    IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral().withSetting("database", "databases", databases));
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
