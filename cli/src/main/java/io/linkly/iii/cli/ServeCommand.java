package io.linkly.iii.cli;

import io.linkly.iii.cli.managed.ManagedWorkers;
import io.linkly.iii.cli.project.SeededBlocks;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.workers.StartupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Starts the engine from a config file, or from the embedded defaults when there is none. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run the engine and the project's local workers (the default when no subcommand is given).")
final class ServeCommand implements Callable<Integer> {

  /** A config that cannot be used, or a machine that cannot give the engine what it asks for. */
  static final int CONFIG_ERROR = 2;

  @Option(names = {"-c", "--config"}, description = "Config file (default: ./config.yaml, if present).")
  Path config;

  @Override
  public Integer call() throws InterruptedException {
    Path file = config != null ? config : Path.of("config.yaml");
    if (config != null && !Files.exists(config)) {
      System.err.println("iii: config error: " + config + ": no such file");
      return CONFIG_ERROR;
    }
    IiiEngine engine;
    EngineConfig engineConfig;
    try {
      engineConfig = EngineConfig.load(file, System::getenv);
      if (!Files.exists(file)) {
        System.err.println("iii: no " + file + "; starting on embedded defaults");
      } else {
        // before the start, so only values stored by earlier boots count: a block this boot seeds goes on the next
        SeededBlocks.strip(file, engineConfig, Path.of("").toAbsolutePath(), System.err);
      }
      engine = IiiEngine.start(engineConfig);
    } catch (ConfigException e) {
      System.err.println("iii: config error: " + e.getMessage());
      return CONFIG_ERROR;
    } catch (StartupException e) {
      // the message names the worker and the key or file; a stack trace would bury it
      System.err.println("iii: " + e.getMessage());
      return CONFIG_ERROR;
    }
    ManagedWorkers managed;
    try {
      Path projectDir = file.toAbsolutePath().getParent();
      managed = ManagedWorkers.start(engineConfig.localWorkers(), projectDir, engine.workerUrl(), System.out);
    } catch (IOException e) {
      System.err.println("iii: config error: " + e.getMessage());
      engine.close();
      return CONFIG_ERROR;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  managed.close(); // the workers first: they would only reconnect to a closing engine
                  engine.close();
                  stopped.countDown();
                },
                "iii-shutdown"));
    stopped.await();
    return 0;
  }
}
