package io.linkly.iii.engine.workers.configuration;

import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@code configuration} worker's own block (BUILTINS.md §13), read from config.yaml on every
 * boot, strict like upstream's:
 *
 * <pre>
 * adapter:
 *   name: fs                 # the default: one file per id, watched for edits
 *   config:
 *     directory: ./config    # relative to the engine's working directory
 * # or, ours: nothing written anywhere (what EngineConfig.ephemeral() uses)
 * adapter:
 *   name: memory
 * ttl_seconds: 0             # accepted; entries never expire in this engine
 * </pre>
 *
 * {@code directory} is null for the memory adapter.
 */
public record ConfigurationConfig(Path directory, long ttlSeconds) {

  public static final String DEFAULT_DIRECTORY = "./config";

  public static ConfigurationConfig fromConfig(WorkerEntry entry) throws ConfigException {
    ConfigBlock block = ConfigBlock.of(entry).onlyKeys(Set.of("adapter", "ttl_seconds"));
    long ttl = block.integer("ttl_seconds", 0);
    if (ttl < 0) {
      throw new ConfigException(block.path() + ".ttl_seconds: must be 0 or more, got " + ttl);
    }
    ConfigBlock adapter = block.child("adapter").onlyKeys(Set.of("name", "config"));
    String name = adapter.string("name", "fs");
    ConfigBlock config = adapter.child("config");
    return switch (name) {
      case "fs" -> {
        config.onlyKeys(Set.of("directory"));
        String directory = config.string("directory", DEFAULT_DIRECTORY);
        if (directory.isBlank()) {
          throw new ConfigException(config.path() + ".directory: must name a directory");
        }
        yield new ConfigurationConfig(Path.of(directory), ttl);
      }
      case "memory" -> {
        if (config.node().size() > 0) {
          throw new ConfigException(config.path() + ": the memory adapter takes no config");
        }
        yield new ConfigurationConfig(null, ttl);
      }
      case "bridge" ->
          throw new ConfigException(adapter.path() + ".name: the bridge adapter is not available in this engine (available: fs, memory)");
      default -> throw new ConfigException(adapter.path() + ".name: unknown adapter '" + name + "' (expected fs or memory)");
    };
  }

  /**
   * Whether a value other than null is stored for {@code id}, read from its file the way the worker
   * reads it ({@code workingDirectory} resolves a relative directory, as the engine's working
   * directory does). False for the memory adapter, a missing file and a file that does not parse:
   * the worker will not use those either.
   */
  public boolean hasStoredValue(String id, Path workingDirectory) {
    if (directory == null) {
      return false;
    }
    try {
      return new ConfigurationFiles(workingDirectory.resolve(directory)).read(id).map(e -> e.value() != null).orElse(false);
    } catch (IOException e) {
      return false;
    }
  }
}
