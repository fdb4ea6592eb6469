package io.linkly.iii.engine;

import io.linkly.iii.engine.channels.DataChannels;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.RouterSettings;
import io.linkly.iii.engine.local.InProcessConnection;
import io.linkly.iii.engine.workers.BuiltinNamespaces;
import io.linkly.iii.engine.workers.queue.EnqueueAction;
import io.linkly.iii.protocol.LocalEngine;
import io.linkly.iii.protocol.MessageSink;
import io.linkly.iii.engine.net.Transport;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.BuiltinWorkers;
import io.linkly.iii.engine.workers.EngineContext;
import io.linkly.iii.engine.workers.StartupException;
import io.linkly.iii.engine.workers.manager.WorkerManager;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running engine: the core, its event loops and the built-in workers of one configuration.
 * {@link #start} returns once every listener is bound; {@link #close} stops everything it started.
 * A start that fails stops what it had started first, so no port or file stays held.
 */
public final class IiiEngine implements AutoCloseable, LocalEngine {

  private static final Logger log = LoggerFactory.getLogger(IiiEngine.class);

  /** How often channels whose ends never both attached are looked for (upstream: every 60 s). */
  private static final Duration CHANNEL_SWEEP = Duration.ofSeconds(60);

  private final Engine engine;
  private final Transport transport;
  private final ExecutorService blocking;
  private final DataChannels channels = new DataChannels();
  private final List<BuiltinWorker> started = new ArrayList<>();
  private ScheduledFuture<?> channelSweep;

  private IiiEngine(Engine engine, Transport transport, ExecutorService blocking) {
    this.engine = engine;
    this.transport = transport;
    this.blocking = blocking;
  }

  /**
   * @throws ConfigException the configuration cannot be used (nothing was started)
   * @throws StartupException it cannot be used on this machine: a port in use, a directory that
   *     cannot be written, a damaged store (whatever had started is stopped again)
   */
  public static IiiEngine start(EngineConfig config) throws ConfigException, StartupException {
    return start(config, BuiltinWorkers.standard(), Clock.systemUTC());
  }

  public static IiiEngine start(EngineConfig config, BuiltinWorkers catalogue, Clock clock)
      throws ConfigException, StartupException {
    long began = System.nanoTime();
    List<BuiltinWorker> workers = catalogue.create(config); // validates everything before binding
    RouterSettings settings =
        workers.stream()
            .filter(WorkerManager.class::isInstance)
            .map(w -> ((WorkerManager) w).routerSettings())
            .findFirst()
            .orElse(RouterSettings.DEFAULTS);
    Engine engine = new Engine(clock, settings, BuiltinNamespaces.STANDARD);
    // so that an engine without iii-queue answers an enqueue as upstream's does
    EnqueueAction.install(engine);
    Transport transport = new Transport(Integer.getInteger("iii.io.threads", Math.max(2, Runtime.getRuntime().availableProcessors())));
    ExecutorService blocking =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("iii-blocking-", 0).factory());
    IiiEngine running = new IiiEngine(engine, transport, blocking);
    EngineContext context = new EngineContext(engine, transport, blocking, clock, running.channels, config.env());
    engine.metrics().gauge("iii_data_channels_open", "Data channels created and not yet closed", running.channels::openCount);
    running.channelSweep =
        transport.group().scheduleAtFixedRate(running.channels::sweep, CHANNEL_SWEEP.toSeconds(), CHANNEL_SWEEP.toSeconds(), TimeUnit.SECONDS);
    for (BuiltinWorker worker : workers) {
      try {
        worker.start(context);
      } catch (StartupException e) {
        running.close();
        throw e;
      } catch (Exception e) {
        running.close(); // a worker cleans up its own part-start; the engine stops the rest
        throw new IllegalStateException("could not start " + worker.name() + ": " + describe(e), e);
      }
      running.started.add(worker);
    }
    log.info("engine ready in {} ms", (System.nanoTime() - began) / 1_000_000);
    return running;
  }

  private static String describe(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  public Engine core() {
    return engine;
  }

  /** The bound port of the first worker listener. */
  public int workerPort() {
    return workerManager().map(WorkerManager::port).orElseThrow();
  }

  /** The URL SDK workers connect to, e.g. {@code ws://127.0.0.1:49134}. */
  @Override
  public String workerUrl() {
    WorkerManager manager = workerManager().orElseThrow();
    return "ws://" + manager.host() + ":" + manager.port();
  }

  /** Every worker listener's URL, in config order (the first is {@link #workerUrl()}). */
  public List<String> workerUrls() {
    return started.stream()
        .filter(WorkerManager.class::isInstance)
        .map(WorkerManager.class::cast)
        .map(m -> "ws://" + m.host() + ":" + m.port())
        .toList();
  }

  /** The bound port of the named built-in worker, if it listens. */
  public Optional<Integer> port(String workerName) {
    return started.stream().filter(w -> w.name().equals(workerName) && w.port() > 0).map(BuiltinWorker::port).findFirst();
  }

  private Optional<WorkerManager> workerManager() {
    return started.stream().filter(WorkerManager.class::isInstance).map(WorkerManager.class::cast).findFirst();
  }

  /** The running built-in worker of the given type, if this configuration has one. */
  public <T extends BuiltinWorker> Optional<T> worker(Class<T> type) {
    return started.stream().filter(type::isInstance).map(type::cast).findFirst();
  }

  public DataChannels channels() {
    return channels;
  }

  public long droppedFrames() {
    return engine.droppedFrames();
  }

  /**
   * The metrics {@code GET /metrics} serves; an application running the engine in-process adds
   * its own here ({@code metrics().counter("app_things_total", "…", things::sum)}).
   */
  public io.linkly.iii.engine.metrics.Metrics metrics() {
    return engine.metrics();
  }

  /** Attaches a worker running in this JVM (see {@code Iii.registerWorker(LocalEngine, …)}). */
  @Override
  public MessageSink attach(MessageSink toWorker) {
    return InProcessConnection.attach(engine, toWorker);
  }

  @Override
  public void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (RuntimeException e) {
        log.warn("stopping {} failed", started.get(i).name(), e);
      }
    }
    started.clear();
    if (channelSweep != null) {
      channelSweep.cancel(false);
    }
    channels.close();
    for (var worker : engine.workers()) {
      if (!worker.isBuiltin()) {
        worker.connection().close("engine shutting down");
        engine.disconnected(worker);
      }
    }
    transport.close();
    blocking.shutdownNow();
    engine.close();
  }
}
