package io.linkly.iii.engine.workers.state.adapter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.NullNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.redis.RedisClients;
import io.linkly.iii.engine.redis.RedisKeys;
import io.linkly.iii.engine.redis.RedisScript;
import io.linkly.iii.engine.updates.UpdateOp;
import io.linkly.iii.engine.updates.UpdateOps;
import io.linkly.iii.engine.updates.UpdateOutcome;
import io.linkly.iii.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code redis} adapter (BUILTINS.md §6.1): state in Redis, shared by every engine that uses
 * the same Redis. The layout is upstream's, so our engines and upstream's read each other's state:
 * one hash per scope, {@code state:<scope>}, field = key, value = the value's compact JSON text.
 *
 * <p>Atomicity. {@code set} and {@code delete} are one Lua script each, reading the old value and
 * writing in one step, so the old value they report is the one they replaced, whichever engine had
 * written it. {@code update} reads the value, applies the ops here ({@link UpdateOps}: one
 * implementation of the op language for every adapter, where upstream keeps a second one in Lua)
 * and writes back with a compare-and-set script, starting again when another writer got in
 * between. Updates of one key from this engine take turns, so that a retry only happens when
 * another engine wrote: concurrent updates within one engine would otherwise keep defeating each
 * other, one winner per round.
 *
 * <p>A value that is not JSON (written by another program) makes {@code get}, {@code list} and
 * {@code update} fail with a message naming the hash and the key, and changes nothing. {@code set}
 * and {@code delete} replace or remove it, which is how it can be repaired through iii, and report
 * what they replaced as JSON null (upstream's {@code set} does the same), with a warning.
 *
 * <p>Redis carries no change notices for state: {@code state} triggers fire on the engine that made
 * the write only, as upstream's (BUILTINS.md §6.3).
 *
 * <p>Outages. The connection reconnects on its own; while Redis is away every operation fails at
 * once with a message naming the URL (without its password), and the worker answers with its
 * {@code *_ERROR} code.
 */
public final class RedisStateStore implements StateStore {

  private static final Logger log = LoggerFactory.getLogger(RedisStateStore.class);

  /** Upstream's key of a scope's hash is this prefix and the scope name. */
  public static final String HASH_PREFIX = "state:";
  /** An update gives up after this many writes lost to other engines in a row. */
  private static final int MAX_UPDATE_ATTEMPTS = 100;
  private static final int UPDATE_TURNS = 64;
  /** Strict: a value with text after its JSON (say {@code 1 2}) is not JSON either. */
  private static final ObjectReader READER = Json.mapper().reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** KEYS[1] scope hash; ARGV: key, value. Returns the value it replaced. */
  private static final RedisScript SET = new RedisScript("""
      local old = redis.call('HGET', KEYS[1], ARGV[1])
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
      return old
      """);

  /** KEYS[1] scope hash; ARGV: key. Returns the value it removed. */
  private static final RedisScript DELETE = new RedisScript("""
      local old = redis.call('HGET', KEYS[1], ARGV[1])
      if old then redis.call('HDEL', KEYS[1], ARGV[1]) end
      return old
      """);

  /**
   * KEYS[1] scope hash; ARGV: key, '1' if the key was read as present, the text read, the new
   * text. Writes only if the key still holds what was read; returns 1 if it wrote.
   */
  private static final RedisScript REPLACE = new RedisScript("""
      local current = redis.call('HGET', KEYS[1], ARGV[1])
      if ARGV[2] == '1' then
        if current ~= ARGV[3] then return 0 end
      elseif current then
        return 0
      end
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
      return 1
      """);

  private final String safeUrl;
  private final ClientResources resources;
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisCommands<String, String> commands;
  /** Striped by scope and key: updates of one key from this engine run one at a time. */
  private final ReentrantLock[] updateTurns = new ReentrantLock[UPDATE_TURNS];

  private RedisStateStore(
      String safeUrl, ClientResources resources, RedisClient client, StatefulRedisConnection<String, String> connection) {
    this.safeUrl = safeUrl;
    this.resources = resources;
    this.client = client;
    this.connection = connection;
    this.commands = connection.sync();
    for (int i = 0; i < updateTurns.length; i++) {
      updateTurns[i] = new ReentrantLock();
    }
  }

  /** Connects, failing with upstream's message when Redis does not answer. */
  public static RedisStateStore connect(String url) throws StateStoreException {
    RedisURI uri = RedisClients.uri(url);
    String safeUrl = RedisClients.redact(url);
    ClientResources resources = RedisClients.resources();
    RedisClient client = RedisClients.commandClient(resources, uri);
    try {
      RedisStateStore store = new RedisStateStore(safeUrl, resources, client, client.connect(StringCodec.UTF8));
      log.info("iii-state: redis store at {} (hash state:<scope> per scope, shared by every engine on this Redis; "
          + "state triggers fire on the engine that wrote)", safeUrl);
      return store;
    } catch (RuntimeException e) {
      RedisClients.shutdown(resources, client);
      throw new StateStoreException(RedisClients.connectFailure(safeUrl, e), e);
    }
  }

  @Override
  public JsonNode get(String scope, String key) throws StateStoreException {
    String raw;
    try {
      raw = commands.hget(hash(scope), key);
    } catch (RuntimeException e) {
      throw failure("Failed to get value from Redis", e);
    }
    return raw == null ? null : parse(raw, scope, key);
  }

  @Override
  public SetResult set(String scope, String key, JsonNode value) throws StateStoreException {
    String old;
    try {
      old = SET.run(commands, ScriptOutputType.VALUE, hash(scope), key, Json.write(value));
    } catch (RuntimeException e) {
      throw failure("Failed to atomically set value in Redis", e);
    }
    return new SetResult(replaced(old, scope, key), value);
  }

  @Override
  public JsonNode delete(String scope, String key) throws StateStoreException {
    String old;
    try {
      old = DELETE.run(commands, ScriptOutputType.VALUE, hash(scope), key);
    } catch (RuntimeException e) {
      throw failure("Failed to atomically delete value from Redis", e);
    }
    return replaced(old, scope, key);
  }

  @Override
  public UpdateResult update(String scope, String key, List<UpdateOp> ops) throws StateStoreException {
    String hash = hash(scope);
    ReentrantLock turn = updateTurns[Math.floorMod(Objects.hash(scope, key), updateTurns.length)];
    turn.lock();
    try {
      for (int attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
        String raw = commands.hget(hash, key);
        JsonNode previous = raw == null ? null : parse(raw, scope, key);
        UpdateOutcome outcome = UpdateOps.apply(previous, ops);
        JsonNode value = outcome.newValue() == null ? NullNode.getInstance() : outcome.newValue();
        Long written =
            REPLACE.run(commands, ScriptOutputType.INTEGER, hash, key, raw == null ? "0" : "1", raw == null ? "" : raw, Json.write(value));
        if (written != null && written == 1L) {
          return new UpdateResult(previous, value, outcome.errors());
        }
        pause(attempt);
      }
    } catch (RuntimeException e) {
      throw failure("Redis atomic update failed", e);
    } finally {
      turn.unlock();
    }
    throw new StateStoreException("key '" + key + "' of Redis hash " + hash + " was changed by another writer during each of "
        + MAX_UPDATE_ATTEMPTS + " attempts; try again");
  }

  /**
   * A short random pause after a write lost to another engine, so that engines contending for one
   * key stop meeting in step.
   */
  private static void pause(int attempt) throws StateStoreException {
    try {
      Thread.sleep(ThreadLocalRandom.current().nextInt(Math.min(attempt, 8) + 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StateStoreException("interrupted while retrying an update", e);
    }
  }

  @Override
  public List<JsonNode> list(String scope) throws StateStoreException {
    Map<String, String> entries; // in Redis' order; keys too, so that a value that is not JSON can be named
    try {
      entries = commands.hgetall(hash(scope));
    } catch (RuntimeException e) {
      throw failure("Failed to get group from Redis", e);
    }
    List<JsonNode> out = new ArrayList<>(entries.size());
    for (Map.Entry<String, String> entry : entries.entrySet()) {
      out.add(parse(entry.getValue(), scope, entry.getKey()));
    }
    return out;
  }

  /** Redis drops a hash with its last field, so an emptied scope is not listed. */
  @Override
  public List<String> listGroups() throws StateStoreException {
    try {
      return List.copyOf(RedisKeys.hashesUnder(commands, HASH_PREFIX));
    } catch (RuntimeException e) {
      throw failure("Failed to list groups from Redis", e);
    }
  }

  @Override
  public boolean writesBlock() {
    return true;
  }

  @Override
  public boolean readsBlock() {
    return true;
  }

  @Override
  public Health health() {
    return connection.isOpen() ? Health.ok() : Health.failing("not connected to Redis at " + safeUrl + "; reconnecting");
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

  // ------------------------------------------------------------------ helpers

  private static String hash(String scope) {
    return HASH_PREFIX + scope;
  }

  /** The value a write replaced: null if there was none, JSON null (and a warning) if it was not JSON. */
  private static JsonNode replaced(String old, String scope, String key) {
    if (old == null) {
      return null;
    }
    try {
      return parse(old, scope, key);
    } catch (StateStoreException e) {
      log.warn("iii-state: {}; it was replaced all the same and is reported as null", e.getMessage());
      return NullNode.getInstance();
    }
  }

  private static JsonNode parse(String text, String scope, String key) throws StateStoreException {
    String where = "the value of key '" + LogSafe.escape(key) + "' in Redis hash " + LogSafe.escape(hash(scope));
    try {
      JsonNode node = READER.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new StateStoreException(where + " is empty, not JSON");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new StateStoreException(where + " is not JSON (written by another program?): " + e.getOriginalMessage(), e);
    }
  }

  private StateStoreException failure(String what, RuntimeException e) {
    return new StateStoreException(what + " at " + safeUrl + ": " + RedisClients.rootMessage(e), e);
  }
}
