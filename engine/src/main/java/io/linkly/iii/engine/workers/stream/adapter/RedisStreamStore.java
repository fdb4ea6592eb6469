package io.linkly.iii.engine.workers.stream.adapter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.TraceContext;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.redis.RedisClients;
import io.linkly.iii.engine.redis.RedisKeys;
import io.linkly.iii.engine.redis.RedisScript;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.ValueListOutput;
import io.lettuce.core.output.ValueOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.linkly.iii.engine.updates.UpdateOp;
import io.linkly.iii.engine.updates.UpdateOps;
import io.linkly.iii.engine.updates.UpdateOutcome;
import io.linkly.iii.protocol.Json;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code redis} adapter (BUILTINS.md §4.6): streams in Redis, shared by every engine that uses
 * the same Redis.
 *
 * <p>Layout, as upstream's: one hash per group, {@code stream:<stream>:<group>}, field = item id,
 * value = the item's compact JSON text; changes go to the channel {@code stream::events} as
 * upstream's wrapper message ({@link ChangeMessages}). An optional {@code key_prefix} goes in front
 * of the keys and the channel (default none), so that tests or tenants can share one Redis.
 *
 * <p>Order. Each write is one Lua script that applies the change and publishes it, so the channel
 * carries a group's changes in exactly the order Redis applied them, whichever engine wrote them.
 * Every engine, the writer too, delivers to its subscribers only what the channel brings, so all
 * engines show the same order and no subscriber sees a change twice. Updates read the item, apply
 * the ops here ({@link UpdateOps}, one implementation of the op language for every adapter) and
 * write back with a compare-and-set script, retrying when another writer got in between.
 *
 * <p>Joins. A joining subscriber's snapshot is read on the subscription's own connection (RESP3
 * allows commands there), so its reply arrives in order with the channel's messages: the
 * snapshot reflects exactly the changes delivered before it, and the worker delivers only the
 * ones after.
 *
 * <p>Items of a group come back in Redis hash order, as upstream's do: that is insertion order
 * while the hash is small (Redis' listpack encoding, up to 128 entries by default) and arbitrary
 * beyond. For {@code retention} we keep the order items were created in, in a sorted set beside
 * each group (scored by creation time, kept by the same scripts that write the hash), and trim
 * the group to its newest items with one more script. Items an upstream engine writes into the
 * same hash are not in that set, so they never expire.
 *
 * <p>Outages. Both connections reconnect on their own. While Redis is away, writes and reads fail
 * at once (the worker answers with {@code STREAM_*_ERROR}); the subscription is re-established by
 * Lettuce when Redis is back, and since what was published meanwhile is lost, the worker is told
 * ({@link Feed#interrupted}) so that its subscribers can resync.
 */
public final class RedisStreamStore implements SharedStreamStore {

  private static final Logger log = LoggerFactory.getLogger(RedisStreamStore.class);

  public static final String CHANNEL = "stream::events";
  /** An update retries when another writer changed the item between its read and its write. */
  private static final int MAX_UPDATE_ATTEMPTS = 100;
  private static final StringCodec CODEC = StringCodec.UTF8;

  /** KEYS[1] group hash, KEYS[2] its creation order; ARGV: item, value, channel, message head, now. Returns the previous value. */
  private static final RedisScript SET = new RedisScript("""
      local old = redis.call('HGET', KEYS[1], ARGV[1])
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
      local kind = 'create'
      if old then kind = 'update' else redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1]) end
      redis.call('PUBLISH', ARGV[3], ARGV[4] .. kind .. '","data":' .. ARGV[2] .. '}}')
      return old
      """);

  /** KEYS[1] group hash, KEYS[2] its creation order; ARGV: item, channel, message head. Returns the removed value. */
  private static final RedisScript DELETE = new RedisScript("""
      local old = redis.call('HGET', KEYS[1], ARGV[1])
      if old then
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('PUBLISH', ARGV[2], ARGV[3] .. 'delete","data":' .. old .. '}}')
      end
      return old
      """);

  /**
   * KEYS[1] group hash, KEYS[2] its creation order; ARGV: item, '1' if the item was read as present,
   * the value read, the new value, channel, message head, now. Writes only if the item is still as
   * read; returns 1 if it wrote.
   */
  private static final RedisScript REPLACE = new RedisScript("""
      local current = redis.call('HGET', KEYS[1], ARGV[1])
      if ARGV[2] == '1' then
        if current ~= ARGV[3] then return 0 end
      elseif current then
        return 0
      end
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
      local kind = 'create'
      if current then kind = 'update' else redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1]) end
      redis.call('PUBLISH', ARGV[5], ARGV[6] .. kind .. '","data":' .. ARGV[4] .. '}}')
      return 1
      """);

  /**
   * KEYS[1] group hash, KEYS[2] its creation order; ARGV: how many items to keep. Removes the
   * oldest beyond that from both, a thousand at a time (Lua's stack bounds one call's arguments),
   * and announces nothing. Returns how many it removed.
   */
  private static final RedisScript EXPIRE = new RedisScript("""
      local keep = tonumber(ARGV[1])
      local removed = 0
      while true do
        local over = redis.call('ZCARD', KEYS[2]) - keep
        if over <= 0 then return removed end
        if over > 1000 then over = 1000 end
        local oldest = redis.call('ZRANGE', KEYS[2], 0, over - 1)
        redis.call('HDEL', KEYS[1], unpack(oldest))
        redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
        removed = removed + over
      end
      """);

  private final String safeUrl;
  private final String keyPrefix;
  private final String channel;
  private final Clock clock;
  private final Feed feed;
  private final ClientResources resources;
  private final RedisClient commandClient;
  private final RedisClient feedClient;
  private final StatefulRedisConnection<String, String> commands;
  private final StatefulRedisPubSubConnection<String, String> subscription;
  private final AtomicBoolean subscribedOnce = new AtomicBoolean();
  private volatile boolean closed;

  private RedisStreamStore(
      String safeUrl,
      String keyPrefix,
      Clock clock,
      Feed feed,
      ClientResources resources,
      RedisClient commandClient,
      RedisClient feedClient,
      StatefulRedisConnection<String, String> commands,
      StatefulRedisPubSubConnection<String, String> subscription) {
    this.safeUrl = safeUrl;
    this.keyPrefix = keyPrefix;
    this.channel = keyPrefix + CHANNEL;
    this.clock = clock;
    this.feed = feed;
    this.resources = resources;
    this.commandClient = commandClient;
    this.feedClient = feedClient;
    this.commands = commands;
    this.subscription = subscription;
  }

  /**
   * Connects and subscribes to the change channel, failing with upstream's message when Redis
   * does not answer. {@code feed} starts receiving changes before this returns.
   */
  public static RedisStreamStore connect(String url, String keyPrefix, Clock clock, Feed feed) throws StreamStoreException {
    RedisURI uri = RedisClients.uri(url);
    String safeUrl = RedisClients.redact(url);
    ClientResources resources = RedisClients.resources();
    RedisClient commandClient = RedisClients.commandClient(resources, uri);
    // RESP3 lets the subscription read snapshots while subscribed; those reads carry their own
    // timeout.
    RedisClient feedClient = RedisClient.create(resources, uri);
    feedClient.setOptions(RedisClients.subscriptionOptions().protocolVersion(ProtocolVersion.RESP3).build());
    StatefulRedisConnection<String, String> commands = null;
    StatefulRedisPubSubConnection<String, String> subscription = null;
    try {
      commands = commandClient.connect(CODEC);
      subscription = feedClient.connectPubSub(CODEC);
      RedisStreamStore store =
          new RedisStreamStore(safeUrl, keyPrefix, clock, feed, resources, commandClient, feedClient, commands, subscription);
      subscription.addListener(store.new Listener());
      subscription.async().subscribe(store.channel).get(RedisClients.COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      log.info("iii-stream connected to Redis at {} (channel {})", safeUrl, store.channel);
      return store;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      closeQuietly(subscription, commands);
      RedisClients.shutdown(resources, commandClient, feedClient);
      String message = RedisClients.connectFailure(safeUrl, e);
      throw new StreamStoreException(message, e);
    }
  }

  /** Hears the change channel; runs on the subscription's I/O thread, in channel order. */
  private final class Listener extends RedisPubSubAdapter<String, String> {
    @Override
    public void message(String from, String message) {
      if (closed || !channel.equals(from)) {
        return;
      }
      StreamChange change = ChangeMessages.decode(message);
      if (change == null) {
        log.warn("dropping a message on Redis channel {}: not a stream change", channel);
        return;
      }
      try {
        feed.received(change);
      } catch (RuntimeException e) {
        log.warn("delivering a stream change of {}/{} failed", LogSafe.escape(change.stream()), LogSafe.escape(change.group()), e);
      }
    }

    @Override
    public void subscribed(String to, long count) {
      // the first confirmation is our own subscribe; any later one is Lettuce re-subscribing after a reconnect
      if (channel.equals(to) && subscribedOnce.getAndSet(true) && !closed) {
        log.warn("the Redis change channel {} at {} was interrupted; changes published meanwhile are lost", channel, safeUrl);
        feed.interrupted();
      }
    }
  }

  private String key(String stream, String group) {
    return keyPrefix + "stream:" + stream + ":" + group;
  }

  /** The group's items in creation order (a sorted set apart from the hashes, which scans look for). */
  private String orderKey(String stream, String group) {
    return keyPrefix + "stream-order:" + stream + ":" + group;
  }

  // ------------------------------------------------------------------ reads

  @Override
  public JsonNode get(String stream, String group, String item) throws StreamStoreException {
    String raw;
    try {
      raw = commands.sync().hget(key(stream, group), item);
    } catch (RuntimeException e) {
      throw failure("Failed to get value from Redis", e);
    }
    return raw == null ? null : parse(raw);
  }

  @Override
  public List<JsonNode> list(String stream, String group) throws StreamStoreException {
    List<String> raw;
    try {
      raw = commands.sync().hvals(key(stream, group));
    } catch (RuntimeException e) {
      throw failure("Failed to get group from Redis", e);
    }
    List<JsonNode> out = new ArrayList<>(raw.size());
    for (String text : raw) {
      out.add(parse(text));
    }
    return out;
  }

  @Override
  public List<String> groups(String stream) throws StreamStoreException {
    String prefix = keyPrefix + "stream:" + stream + ":";
    try {
      return List.copyOf(scan(prefix));
    } catch (RuntimeException e) {
      throw failure("Failed to list groups from Redis", e);
    }
  }

  /**
   * Every {@code stream:<name>:<group>} hash. A name runs to the first colon, as upstream reads
   * it; the group is the rest (upstream cuts it at its next colon).
   */
  @Override
  public Map<String, List<String>> streams() throws StreamStoreException {
    Map<String, Set<String>> found = new TreeMap<>();
    try {
      for (String rest : scan(keyPrefix + "stream:")) {
        int cut = rest.indexOf(':');
        if (cut >= 0) {
          found.computeIfAbsent(rest.substring(0, cut), s -> new TreeSet<>()).add(rest.substring(cut + 1));
        }
      }
    } catch (RuntimeException e) {
      throw failure("Failed to scan stream from Redis", e);
    }
    Map<String, List<String>> out = new TreeMap<>();
    found.forEach((name, groups) -> out.put(name, List.copyOf(groups)));
    return out;
  }

  /** The rest of every hash key that starts with {@code prefix}. */
  private Set<String> scan(String prefix) {
    return RedisKeys.hashesUnder(commands.sync(), prefix);
  }

  @Override
  public void snapshot(String stream, String group, String itemId, SnapshotCallback then) {
    AtomicBoolean answered = new AtomicBoolean();
    SnapshotCallback once =
        (value, failure) -> {
          if (answered.compareAndSet(false, true)) {
            then.taken(value, failure);
          }
        };
    CommandArgs<String, String> args = new CommandArgs<>(CODEC).addKey(key(stream, group));
    AsyncCommand<String, String, ?> command;
    if (itemId == null) {
      AsyncCommand<String, String, List<String>> values =
          new AsyncCommand<>(new Command<>(CommandType.HVALS, new ValueListOutput<>(CODEC), args));
      values.whenComplete(
          (raw, e) -> {
            if (e != null) {
              once.taken(null, e);
              return;
            }
            ArrayNode out = Json.mapper().createArrayNode();
            try {
              for (String text : raw) {
                out.add(parse(text));
              }
            } catch (StreamStoreException bad) {
              once.taken(null, bad);
              return;
            }
            once.taken(out, null);
          });
      command = values;
    } else {
      AsyncCommand<String, String, String> value =
          new AsyncCommand<>(new Command<>(CommandType.HGET, new ValueOutput<>(CODEC), args.addKey(itemId)));
      value.whenComplete(
          (raw, e) -> {
            if (e != null) {
              once.taken(null, e);
              return;
            }
            try {
              once.taken(raw == null ? Json.mapper().nullNode() : parse(raw), null);
            } catch (StreamStoreException bad) {
              once.taken(null, bad);
            }
          });
      command = value;
    }
    // callbacks are attached before dispatch, so a reply runs them on the subscription's thread
    command.orTimeout(RedisClients.COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    try {
      subscription.dispatch(command);
    } catch (RuntimeException e) {
      once.taken(null, e);
    }
  }

  // ------------------------------------------------------------------ writes

  @Override
  public JsonNode put(String stream, String group, String item, JsonNode value, TraceContext origin) throws StreamStoreException {
    String text = Json.write(value);
    long now = clock.millis();
    String old;
    try {
      old = eval(SET, ScriptOutputType.VALUE, keys(stream, group), item, text, channel, ChangeMessages.head(stream, group, item, now),
          Long.toString(now));
    } catch (RuntimeException e) {
      throw failure("Failed to atomically set value in Redis", e);
    }
    feed.wrote(new StreamChange(stream, group, item, old == null ? StreamChange.CREATE : StreamChange.UPDATE, value, now), origin);
    return old == null ? null : parse(old);
  }

  @Override
  public JsonNode remove(String stream, String group, String item, TraceContext origin) throws StreamStoreException {
    long now = clock.millis();
    String old;
    try {
      old = eval(DELETE, ScriptOutputType.VALUE, keys(stream, group), item, channel, ChangeMessages.head(stream, group, item, now));
    } catch (RuntimeException e) {
      throw failure("Failed to atomically delete value from Redis", e);
    }
    if (old == null) {
      return null; // deleting nothing published nothing
    }
    JsonNode previous = parse(old);
    feed.wrote(new StreamChange(stream, group, item, StreamChange.DELETE, previous, now), origin);
    return previous;
  }

  @Override
  public Updated update(String stream, String group, String item, List<UpdateOp> ops, TraceContext origin) throws StreamStoreException {
    String key = key(stream, group);
    try {
      for (int attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
        String raw = commands.sync().hget(key, item);
        JsonNode previous = raw == null ? null : parse(raw);
        UpdateOutcome outcome = UpdateOps.apply(previous, ops);
        JsonNode value = outcome.newValue() == null ? Json.mapper().nullNode() : outcome.newValue();
        long now = clock.millis();
        Long written =
            eval(REPLACE, ScriptOutputType.INTEGER, keys(stream, group), item, raw == null ? "0" : "1", raw == null ? "" : raw,
                Json.write(value), channel, ChangeMessages.head(stream, group, item, now), Long.toString(now));
        if (written != null && written == 1L) {
          feed.wrote(new StreamChange(stream, group, item, previous == null ? StreamChange.CREATE : StreamChange.UPDATE, value, now), origin);
          return new Updated(new Change(previous, value), outcome.errors());
        }
      }
    } catch (RuntimeException e) {
      throw failure("Redis atomic update failed", e);
    }
    throw new StreamStoreException("the item changed under every one of " + MAX_UPDATE_ATTEMPTS + " attempts; try again");
  }

  @Override
  public CompletableFuture<Void> publish(StreamChange change) {
    try {
      return commands.async().publish(channel, ChangeMessages.encode(change)).toCompletableFuture().thenApply(receivers -> null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e); // e.g. the request queue is full
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
  public void close() {
    closed = true;
    closeQuietly(subscription, commands);
    RedisClients.shutdown(resources, commandClient, feedClient);
  }

  // ------------------------------------------------------------------ helpers

  private String[] keys(String stream, String group) {
    return new String[] {key(stream, group), orderKey(stream, group)};
  }

  @Override
  public void expireOldest(String stream, String group, int keep) throws StreamStoreException {
    try {
      eval(EXPIRE, ScriptOutputType.INTEGER, keys(stream, group), Integer.toString(keep));
    } catch (RuntimeException e) {
      throw failure("Failed to trim a bounded group in Redis", e);
    }
  }

  private <T> T eval(RedisScript script, ScriptOutputType type, String[] keys, String... args) {
    return script.run(commands.sync(), type, keys, args);
  }

  private static JsonNode parse(String text) throws StreamStoreException {
    try {
      JsonNode node = Json.mapper().readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new StreamStoreException("a stored value is empty");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new StreamStoreException("a stored value is not JSON: " + e.getOriginalMessage(), e);
    }
  }

  private StreamStoreException failure(String what, RuntimeException e) {
    return new StreamStoreException(what + " at " + safeUrl + ": " + RedisClients.rootMessage(e), e);
  }

  private static void closeQuietly(AutoCloseable... connections) {
    for (AutoCloseable connection : connections) {
      if (connection == null) {
        continue;
      }
      try {
        connection.close();
      } catch (Exception e) {
        log.debug("closing a Redis connection: {}", e.getMessage());
      }
    }
  }
}
