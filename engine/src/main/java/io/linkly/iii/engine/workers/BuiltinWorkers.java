package io.linkly.iii.engine.workers;

import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.workers.configuration.ConfigurationWorker;
import io.linkly.iii.engine.workers.cron.CronWorker;
import io.linkly.iii.engine.workers.database.DatabaseWorker;
import io.linkly.iii.engine.workers.engine.EngineFunctionsWorker;
import io.linkly.iii.engine.workers.http.HttpWorker;
import io.linkly.iii.engine.workers.httpfunctions.HttpFunctionsWorker;
import io.linkly.iii.engine.workers.manager.WorkerManager;
import io.linkly.iii.engine.workers.observability.ObservabilityWorker;
import io.linkly.iii.engine.workers.state.StateWorker;
import io.linkly.iii.engine.workers.pubsub.PubSubWorker;
import io.linkly.iii.engine.workers.stream.StreamWorker;
import io.linkly.iii.engine.workers.queue.QueueWorker;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The catalogue of built-in workers by config name, and the rule that turns a configuration into
 * the list of workers to start: configured entries first, then every mandatory worker missing;
 * {@code configuration} always starts first, since the others keep their settings in it.
 */
public final class BuiltinWorkers {

  /** Creates a worker from its config entry, validating the block strictly. */
  @FunctionalInterface
  public interface Factory {
    BuiltinWorker create(WorkerEntry entry) throws ConfigException;
  }

  private final Map<String, Factory> factories = new LinkedHashMap<>();
  private final List<String> mandatory = new ArrayList<>();

  public static BuiltinWorkers standard() {
    BuiltinWorkers catalogue = new BuiltinWorkers();
    catalogue.register(EngineConfig.WORKER_MANAGER, WorkerManager::fromConfig, true);
    catalogue.register(ConfigurationWorker.NAME, ConfigurationWorker::fromConfig, true);
    catalogue.register(EngineFunctionsWorker.NAME, EngineFunctionsWorker::fromConfig, true);
    catalogue.register(ObservabilityWorker.NAME, ObservabilityWorker::fromConfig, true);
    catalogue.register(HttpWorker.NAME, HttpWorker::fromConfig, false);
    catalogue.register(DatabaseWorker.NAME, DatabaseWorker::fromConfig, false);
    catalogue.register(StateWorker.NAME, StateWorker::fromConfig, false);
    catalogue.register(PubSubWorker.NAME, PubSubWorker::fromConfig, false);
    catalogue.register(StreamWorker.NAME, StreamWorker::fromConfig, false);
    catalogue.register(CronWorker.NAME, CronWorker::fromConfig, false);
    catalogue.register(QueueWorker.NAME, QueueWorker::fromConfig, false); // opt-in, as upstream
    catalogue.register(HttpFunctionsWorker.NAME, HttpFunctionsWorker::fromConfig, false); // opt-in, as upstream
    return catalogue;
  }

  /** Every built-in worker's config name. */
  public java.util.Set<String> names() {
    return java.util.Collections.unmodifiableSet(factories.keySet());
  }

  public BuiltinWorkers register(String name, Factory factory, boolean isMandatory) {
    factories.put(name, factory);
    if (isMandatory) {
      mandatory.add(name);
    }
    return this;
  }

  /** Builds every worker the configuration asks for; nothing is started yet. */
  public List<BuiltinWorker> create(EngineConfig config) throws ConfigException {
    List<BuiltinWorker> workers = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (WorkerEntry entry : config.workers()) {
      Factory factory = factories.get(entry.name());
      if (factory == null) {
        throw new ConfigException(
            entry.path() + ".name: unknown worker '" + entry.name() + "' (built-in workers: "
                + String.join(", ", factories.keySet()) + ")");
      }
      workers.add(factory.create(entry));
      seen.add(entry.name());
    }
    for (String name : mandatory) {
      if (!seen.contains(name)) {
        workers.add(factories.get(name).create(new WorkerEntry(name, null, "defaults." + name)));
      }
    }
    List<BuiltinWorker> ordered = new ArrayList<>(workers.stream().filter(w -> w.name().equals(ConfigurationWorker.NAME)).toList());
    workers.stream().filter(w -> !w.name().equals(ConfigurationWorker.NAME)).forEach(ordered::add);
    return ordered;
  }
}
