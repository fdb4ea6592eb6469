package io.linkly.iii.engine.workers.cron;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.EngineContext;
import io.linkly.iii.engine.workers.configuration.LiveConfig;
import io.linkly.iii.engine.workers.cron.adapter.CronLocks;
import io.linkly.iii.engine.workers.cron.adapter.MemoryCronLocks;
import io.linkly.iii.engine.workers.cron.adapter.RedisCronLocks;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code iii-cron} (BUILTINS.md §8): the {@code cron} trigger type, which calls a function on a
 * schedule. It registers no functions. Its one setting, the adapter, says where job locks live:
 * in this engine (every engine runs every job) or in Redis (each firing runs on one engine).
 */
public final class CronWorker implements BuiltinWorker {

  public static final String NAME = "iii-cron";
  private static final Logger log = LoggerFactory.getLogger(CronWorker.class);

  private final JsonNode yamlBlock;
  private CronConfig config;
  private SwappableCronLocks locks;
  private CronTriggers triggers;

  CronWorker(CronConfig config, JsonNode yamlBlock) {
    this.config = config;
    this.yamlBlock = yamlBlock;
  }

  public static CronWorker fromConfig(WorkerEntry entry) throws ConfigException {
    return new CronWorker(CronConfig.from(entry), entry.seed());
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void start(EngineContext context) {
    Engine engine = context.engine();
    LiveConfig.Opened<CronConfig> opened =
        LiveConfig.open(engine, NAME, "Cron", "Scheduled triggers: where the job locks live (kv or redis)", CronConfig.SCHEMA,
            yamlBlock, config, CronConfig::from);
    config = opened.settings();
    locks = new SwappableCronLocks(locks(config, context.clock()));
    triggers = new CronTriggers(engine, locks, context.clock());
    Worker self = engine.registerBuiltinWorker(NAME);
    engine.registerTriggerType(self, CronTriggers.TYPE, "Cron-based scheduled triggers", triggers);
    opened.live().watch(self, context.blocking(), (CronConfig next) -> apply(next, context.clock()));
  }

  private static CronLocks locks(CronConfig config, Clock clock) {
    return switch (config.adapter()) {
      case CronConfig.Kv kv -> {
        log.info("iii-cron: job locks in this engine's memory (index {}); every engine runs every job", kv.lockIndex());
        yield new MemoryCronLocks(clock, kv.lockTtlMs());
      }
      case CronConfig.Redis redis -> RedisCronLocks.connect(redis.url());
    };
  }

  /**
   * An adapter change: the jobs keep running on their schedule and take their next locks in the
   * new store. A store that cannot be built (Redis unreachable) leaves the old one in place.
   */
  private void apply(CronConfig next, Clock clock) {
    if (next.equals(config)) {
      return;
    }
    locks.replace(locks(next, clock));
    log.info("iii-cron: job locks now in {}; {} job(s) keep their schedule", describe(next), triggers.runningJobs());
    config = next;
  }

  private static String describe(CronConfig config) {
    return switch (config.adapter()) {
      case CronConfig.Kv kv -> "this engine's memory";
      case CronConfig.Redis redis -> "Redis";
    };
  }

  /** Job loops still running, stopped ones included until their thread has ended. */
  public int runningJobs() {
    return triggers == null ? 0 : triggers.runningJobs();
  }

  @Override
  public void close() {
    if (triggers != null) {
      triggers.close(); // the jobs give their locks back on the way out, so before the store goes
    }
    if (locks != null) {
      locks.close();
    }
  }
}
