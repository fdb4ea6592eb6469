package io.linkly.iii.engine.workers.cron.adapter;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.redis.RedisClients;
import java.time.Instant;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code redis} adapter: job locks shared by every engine on one Redis, so that each firing of
 * a job runs on one of them.
 *
 * <p>The lock is upstream's, key for key: {@code SET cron_lock:<job id> <instance uuid> NX PX 30000}
 * before the run and an owner-checked delete after it, so our engines and upstream's exclude each
 * other's runs. Upstream releases the lock as soon as its run ends, and an engine whose timer fires
 * a little later than the winner's then finds it free and runs the same firing again. Here the
 * winner also records the firing it ran in {@code cron_fired:<job id>} (its scheduled time in epoch
 * milliseconds, only ever raised, by a Lua script); a later engine that gets the lock for a firing
 * that is not newer gives the lock back and skips it. Each firing therefore runs once across our
 * engines, however far apart their timers fire (within an hour, the record's lifetime).
 */
public final class RedisCronLocks implements CronLocks {

  private static final Logger log = LoggerFactory.getLogger(RedisCronLocks.class);

  public static final String LOCK_PREFIX = "cron_lock:";
  public static final String FIRED_PREFIX = "cron_fired:";
  static final long LOCK_TTL_MS = 30_000;
  static final long FIRED_TTL_MS = 3_600_000;

  private static final String RELEASE =
      "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
  /** Records ARGV[1] as the job's latest firing unless that firing or a newer one is already recorded. */
  private static final String CLAIM_FIRING =
      "local last = tonumber(redis.call('get', KEYS[1]))\n"
          + "if last and last >= tonumber(ARGV[1]) then return 0 end\n"
          + "redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
          + "return 1";

  private final String instanceId = UUID.randomUUID().toString();
  private final String safeUrl;
  private final ClientResources resources;
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisCommands<String, String> commands;

  private RedisCronLocks(
      String safeUrl, ClientResources resources, RedisClient client, StatefulRedisConnection<String, String> connection) {
    this.safeUrl = safeUrl;
    this.resources = resources;
    this.client = client;
    this.connection = connection;
    this.commands = connection.sync();
  }

  /**
   * Connects, failing with upstream's message when Redis does not answer.
   *
   * @throws IllegalStateException if Redis cannot be reached
   */
  public static RedisCronLocks connect(String url) {
    RedisURI uri = RedisClients.uri(url);
    String safeUrl = RedisClients.redact(url);
    ClientResources resources = RedisClients.resources();
    RedisClient client = RedisClients.commandClient(resources, uri);
    try {
      RedisCronLocks locks = new RedisCronLocks(safeUrl, resources, client, client.connect());
      log.info("iii-cron: job locks in Redis at {} (each firing runs on one engine)", safeUrl);
      return locks;
    } catch (RuntimeException e) {
      RedisClients.shutdown(resources, client);
      throw new IllegalStateException(RedisClients.connectFailure(safeUrl, e), e);
    }
  }

  @Override
  public boolean acquire(String jobId, Instant scheduled) {
    try {
      String taken = commands.set(LOCK_PREFIX + jobId, instanceId, SetArgs.Builder.nx().px(LOCK_TTL_MS));
      if (!"OK".equals(taken)) {
        return false; // another engine is running this job
      }
      Long claimed = commands.eval(
          CLAIM_FIRING, ScriptOutputType.INTEGER, new String[] {FIRED_PREFIX + jobId},
          Long.toString(scheduled.toEpochMilli()), Long.toString(FIRED_TTL_MS));
      if (claimed == null || claimed != 1L) {
        release(jobId); // another engine already ran this firing
        return false;
      }
      return true;
    } catch (RedisCommandInterruptedException e) {
      return false; // the job is being stopped
    } catch (RuntimeException e) {
      log.error("iii-cron: could not take the lock of job {} at {}; this run is skipped: {}",
          LogSafe.escape(jobId), safeUrl, RedisClients.rootMessage(e));
      return false;
    }
  }

  @Override
  public void release(String jobId) {
    try {
      commands.eval(RELEASE, ScriptOutputType.INTEGER, new String[] {LOCK_PREFIX + jobId}, instanceId);
    } catch (RuntimeException e) {
      log.error("iii-cron: could not give back the lock of job {} at {} (it expires after {} ms): {}",
          LogSafe.escape(jobId), safeUrl, LOCK_TTL_MS, RedisClients.rootMessage(e));
    }
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (RuntimeException e) {
      log.debug("closing the Redis connection: {}", e.getMessage());
    }
    RedisClients.shutdown(resources, client);
  }
}
