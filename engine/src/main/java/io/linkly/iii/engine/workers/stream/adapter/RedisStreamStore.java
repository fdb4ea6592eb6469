package io.linkly.iii.engine.workers.stream.adapter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.TraceContext;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.redis.RedisClients;
import io.linkly.iii.engine.redis.RedisKeys;
import io.linkly.iii.engine.redis.RedisScript;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisNoScriptException;
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
 * at once (the worker answers with {@code STREAM_*_ERROR}; nothing of those is to recover); the
 * subscription is re-established by Lettuce when Redis is back, and what was published meanwhile
 * never arrived on the channel. To replay it, every script that publishes a message also appends
 * it, byte for byte, to a bounded change log, the Redis stream {@code stream::log} (field
 * {@code m}, {@code MAXLEN ~} {@value #LOG_LENGTH}), and publishes the new entry's id on a second
 * channel, {@code stream::positions}, just before the message. The channel's messages stay
 * upstream's; an upstream engine neither sees nor needs the rest.
 *
 * <p>The engine so knows the log position of every message it hears: the id that came just before
 * it (one script publishes both, so nothing falls between; the two channels share one SUBSCRIBE).
 * Matching message texts against the log was the alternative; exact ids need no such guess, and
 * they tell which messages are not in the log at all. At connect, and again after giving up on a
 * gap, the log's newest id is read on the subscription's connection, in order with the messages.
 * When Lettuce re-subscribes, the engine reads, again on that connection, every log entry after
 * its position, holding back the channel's messages until the reply; it then delivers the entries
 * in order and, of what it held, only what the read did not already have. It falls back to telling
 * the worker ({@link Feed#interrupted}), so that its subscribers resync, when the log no longer
 * reaches back to its position (trimmed, deleted, a new Redis), when more than the log's length
 * was missed, when its position is unknown or the read fails, and when it has ever heard a message
 * without a log id (an upstream engine's, a raw PUBLISH): such messages published during a gap
 * could not be replayed, nor even noticed. Snapshots that are read while a gap is open fail (the
 * subscriber joins again), as they could hold changes yet to be replayed.
 */
public final class RedisStreamStore implements SharedStreamStore {

  private static final Logger log = LoggerFactory.getLogger(RedisStreamStore.class);

  public static final String CHANNEL = "stream::events";
  /** The ids of the change log's entries, each published just before its message on {@link #CHANNEL}. */
  public static final String POSITIONS_CHANNEL = "stream::positions";
  /** The change log: a Redis stream of every message the scripts publish, field {@code m}. */
  public static final String LOG = "stream::log";
  /**
   * About how many changes the log keeps ({@code MAXLEN ~}), and the most a reconnected engine
   * replays; a longer gap is cheaper to resync.
   */
  static final int LOG_LENGTH = 10_000;
  /** An update retries when another writer changed the item between its read and its write. */
  private static final int MAX_UPDATE_ATTEMPTS = 100;
  private static final StringCodec CODEC = StringCodec.UTF8;

  /**
   * Prepended to every script that announces a change: appends the message to the change log
   * (KEYS[3], or the key given) under a new entry id, publishes that id on the positions channel
   * and then the unchanged message on the change channel. ARGV's last two are the positions
   * channel and the log's approximate bound.
   */
  private static final String ANNOUNCE = """
      local function announce(log, channel, message)
        local id = redis.call('XADD', log, 'MAXLEN', '~', ARGV[#ARGV], '*', 'm', message)
        redis.call('PUBLISH', ARGV[#ARGV - 1], id)
        redis.call('PUBLISH', channel, message)
      end
      """;

  /** KEYS[1] group hash, KEYS[2] its creation order, KEYS[3] the log; ARGV: item, value, channel, message head, now. Returns the previous value. */
  private static final RedisScript SET = new RedisScript(ANNOUNCE + """
      local old = redis.call('HGET', KEYS[1], ARGV[1])
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
      local kind = 'create'
      if old then kind = 'update' else redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1]) end
      announce(KEYS[3], ARGV[3], ARGV[4] .. kind .. '","data":' .. ARGV[2] .. '}}')
      return old
      """);

  /** KEYS[1] group hash, KEYS[2] its creation order, KEYS[3] the log; ARGV: item, channel, message head. Returns the removed value. */
  private static final RedisScript DELETE = new RedisScript(ANNOUNCE + """
      local old = redis.call('HGET', KEYS[1], ARGV[1])
      if old then
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        announce(KEYS[3], ARGV[2], ARGV[3] .. 'delete","data":' .. old .. '}}')
      end
      return old
      """);

  /**
   * KEYS[1] group hash, KEYS[2] its creation order, KEYS[3] the log; ARGV: item, '1' if the item was read as present,
   * the value read, the new value, channel, message head, now. Writes only if the item is still as
   * read; returns 1 if it wrote.
   */
  private static final RedisScript REPLACE = new RedisScript(ANNOUNCE + """
      local current = redis.call('HGET', KEYS[1], ARGV[1])
      if ARGV[2] == '1' then
        if current ~= ARGV[3] then return 0 end
      elseif current then
        return 0
      end
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
      local kind = 'create'
      if current then kind = 'update' else redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1]) end
      announce(KEYS[3], ARGV[5], ARGV[6] .. kind .. '","data":' .. ARGV[4] .. '}}')
      return 1
      """);

  /** KEYS[1] the log; ARGV: channel, message. Announces a change that no write carried. */
  private static final RedisScript PUBLISH = new RedisScript(ANNOUNCE + """
      announce(KEYS[1], ARGV[1], ARGV[2])
      return 1
      """);

  /** KEYS[1] the log. Returns the id of its newest entry, '0-0' when it has none. */
  private static final String POSITION = """
      local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
      if #last == 0 then return '0-0' end
      return last[1][1]
      """;

  /**
   * KEYS[1] the log; ARGV: a position (an entry id, or '0-0' for an empty log), the most entries
   * to return. Returns {'ok', id, message, id, message...}: every entry after the position, in
   * order; or {'gap'} when entries after the position may have been trimmed or deleted (the
   * position's own entry is gone, or something newer than it was deleted), or {'far'} when there
   * are more entries than asked for.
   */
  private static final String CATCH_UP = """
      local function after(a, b)
        local am, as = string.match(a, '^(%d+)-(%d+)$')
        local bm, bs = string.match(b, '^(%d+)-(%d+)$')
        am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
        return am > bm or (am == bm and as > bs)
      end
      local position = ARGV[1]
      if redis.call('EXISTS', KEYS[1]) == 0 then
        if position == '0-0' then return {'ok'} end
        return {'gap'}
      end
      local info = redis.call('XINFO', 'STREAM', KEYS[1])
      for i = 1, #info, 2 do
        if info[i] == 'max-deleted-entry-id' and after(info[i + 1], position) then return {'gap'} end
      end
      if position ~= '0-0' and #redis.call('XRANGE', KEYS[1], position, position) == 0 then return {'gap'} end
      local most = tonumber(ARGV[2])
      local entries = redis.call('XRANGE', KEYS[1], '(' .. position, '+', 'COUNT', most + 1)
      if #entries > most then return {'far'} end
      local out = {'ok'}
      for _, entry in ipairs(entries) do
        local message = ''
        local fields = entry[2]
        for i = 1, #fields, 2 do
          if fields[i] == 'm' then message = fields[i + 1] end
        end
        out[#out + 1] = entry[1]
        out[#out + 1] = message
      end
      return out
      """;

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
  private final String positionsChannel;
  private final String logKey;
  private final String logLength = Integer.toString(LOG_LENGTH);
  private final Clock clock;
  private final Feed feed;
  private final ClientResources resources;
  private final RedisClient commandClient;
  private final RedisClient feedClient;
  private final StatefulRedisConnection<String, String> commands;
  private final StatefulRedisPubSubConnection<String, String> subscription;
  private final AtomicBoolean subscribedOnce = new AtomicBoolean();
  private final Listener listener = new Listener();
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
    this.positionsChannel = keyPrefix + POSITIONS_CHANNEL;
    this.logKey = keyPrefix + LOG;
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
      subscription.addListener(store.listener);
      feedClient.addListener(store.listener.disconnects);
      // one SUBSCRIBE for both channels (Lettuce re-subscribes them with one as well): no message
      // can fall between them
      subscription.async().subscribe(store.positionsChannel, store.channel).get(RedisClients.COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      store.listener.readPosition().get(RedisClients.COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
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

  /**
   * Hears the change channel and keeps this engine's place in the change log. Runs on the
   * subscription's I/O thread, in channel order; a command's timeout can call in from a timer
   * thread, so the state is guarded by this object.
   */
  private final class Listener extends RedisPubSubAdapter<String, String> {

    /** A message heard while catching up, with its log id (null: not from the log). */
    private record Held(String id, String message) {}

    /** Tells the listener when the subscription's connection drops. */
    final RedisConnectionStateListener disconnects =
        new RedisConnectionStateListener() {
          @Override
          public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            if (connection == subscription) {
              lost();
            }
          }
        };

    /** The id of the last log entry this engine delivered or had no need of; null when unknown. */
    private String position;
    /** The id announced on the positions channel for the message that comes next. */
    private String pendingId;
    /** A message without a log id came (an upstream engine, a raw PUBLISH): what a gap lost is unknowable. */
    private boolean foreign;
    /** Messages heard while a catch-up read is on its way; null when not catching up. */
    private List<Held> held;
    /** False from a lost connection until what it missed is recovered or given up on. */
    private boolean settled = true;
    /** Counts catch-ups and position reads, so that a late reply of a superseded one is ignored. */
    private long generation;

    @Override
    public synchronized void message(String from, String message) {
      if (closed) {
        return;
      }
      if (positionsChannel.equals(from)) {
        pendingId = message;
        return;
      }
      if (!channel.equals(from)) {
        return;
      }
      String id = pendingId;
      pendingId = null;
      if (id == null) {
        foreign = true;
      }
      if (held != null) {
        held.add(new Held(id, message));
        return;
      }
      if (id != null) {
        position = id;
      }
      deliver(message);
    }

    @Override
    public synchronized void subscribed(String to, long count) {
      // the first confirmation is our own subscribe; any later one is Lettuce re-subscribing after a reconnect
      if (channel.equals(to) && subscribedOnce.getAndSet(true) && !closed) {
        recover();
      }
    }

    private synchronized void lost() {
      settled = false;
      pendingId = null;
    }

    /** Whether a snapshot read now is in order with what was delivered (not while a gap is open). */
    synchronized boolean settled() {
      return settled;
    }

    /**
     * Reads the log's newest id on the subscription's connection: every message heard before the
     * reply is at or before it, every one after is after it. The future completes either way.
     */
    synchronized CompletableFuture<Void> readPosition() {
      long asked = generation;
      CompletableFuture<Void> done = new CompletableFuture<>();
      AsyncCommand<String, String, String> read =
          new AsyncCommand<>(new Command<>(CommandType.EVAL, new ValueOutput<>(CODEC), script(POSITION, logKey)));
      read.whenComplete(
          (id, e) -> {
            synchronized (this) {
              if (e != null) {
                log.warn("reading the position of the Redis change log {} failed; a lost connection will make subscribers resync: {}",
                    logKey, RedisClients.rootMessage(e));
              } else if (asked == generation) {
                position = id;
              }
            }
            done.complete(null);
          });
      dispatch(read);
      return done;
    }

    /** Back on the channel after a lost connection: replays what the log holds of the gap, or gives up. */
    private void recover() {
      long asked = ++generation;
      pendingId = null;
      if (position == null || foreign) {
        giveUp(foreign ? "messages not in the change log were published on the channel" : "this engine's place in the change log is unknown");
        return;
      }
      held = new ArrayList<>();
      log.info("the Redis change channel {} at {} was interrupted; catching up from the change log {} after {}", channel, safeUrl, logKey,
          position);
      AsyncCommand<String, String, List<String>> read =
          new AsyncCommand<>(new Command<>(CommandType.EVAL, new ValueListOutput<>(CODEC),
              script(CATCH_UP, logKey).add(position).add(LOG_LENGTH)));
      read.whenComplete((reply, e) -> caughtUp(asked, reply, e));
      dispatch(read);
    }

    private synchronized void caughtUp(long asked, List<String> reply, Throwable e) {
      if (asked != generation || held == null) {
        return; // a later gap superseded this read
      }
      if (e != null) {
        giveUp("reading the change log failed: " + RedisClients.rootMessage(e));
        return;
      }
      if (reply == null || reply.isEmpty() || !"ok".equals(reply.get(0))) {
        giveUp(reply == null || reply.isEmpty() ? "the change log gave no answer"
            : "gap".equals(reply.get(0)) ? "the change log no longer reaches back to " + position
            : "more than " + LOG_LENGTH + " changes were missed");
        return;
      }
      if (foreign) {
        giveUp("messages not in the change log were published on the channel");
        return;
      }
      List<Held> heard = held;
      held = null;
      settled = true;
      int replayed = 0;
      for (int i = 1; i + 1 < reply.size(); i += 2) {
        position = reply.get(i);
        deliver(reply.get(i + 1));
        replayed++;
      }
      // what was heard meanwhile was published before the read, so the read has it already
      for (Held h : heard) {
        if (compareIds(h.id(), position) > 0) {
          position = h.id();
          deliver(h.message());
        }
      }
      log.info("caught up with the Redis change channel {}: {} missed change(s) replayed", channel, replayed);
    }

    /** Today's fallback: the worker cuts its subscribers off to resync; what was heard since follows. */
    private void giveUp(String why) {
      log.warn("the Redis change channel {} at {} was interrupted and what it missed cannot be replayed ({}); subscribers resync", channel,
          safeUrl, why);
      List<Held> heard = held;
      held = null;
      settled = true;
      position = null;
      feed.interrupted();
      if (heard != null) {
        for (Held h : heard) {
          if (h.id() != null) {
            position = h.id();
          }
          deliver(h.message());
        }
      }
      if (position == null) {
        readPosition();
      }
    }

    private void deliver(String message) {
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

    private void dispatch(AsyncCommand<String, String, ?> command) {
      command.orTimeout(RedisClients.COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      try {
        subscription.dispatch(command);
      } catch (RuntimeException e) {
        command.completeExceptionally(e);
      }
    }
  }

  /** EVAL's arguments: the script's text and its one key; the caller adds ARGV. */
  private static CommandArgs<String, String> script(String text, String key) {
    return new CommandArgs<>(CODEC).add(text).add(1).addKey(key);
  }

  /** Orders two log entry ids ({@code <ms>-<seq>}). */
  static int compareIds(String a, String b) {
    int da = a.indexOf('-');
    int db = b.indexOf('-');
    int byMs = Long.compare(Long.parseLong(a.substring(0, da)), Long.parseLong(b.substring(0, db)));
    return byMs != 0 ? byMs : Long.compare(Long.parseLong(a.substring(da + 1)), Long.parseLong(b.substring(db + 1)));
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
            synchronized (listener) {
              if (failure == null && !listener.settled()) {
                // read while a gap was open: it may hold changes that are yet to be replayed
                then.taken(null, new StreamStoreException("the Redis change channel at " + safeUrl + " is reconnecting; join again"));
              } else {
                then.taken(value, failure);
              }
            }
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
      old = announce(SET, ScriptOutputType.VALUE, writeKeys(stream, group), item, text, channel, ChangeMessages.head(stream, group, item, now),
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
      old = announce(DELETE, ScriptOutputType.VALUE, writeKeys(stream, group), item, channel, ChangeMessages.head(stream, group, item, now));
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
            announce(REPLACE, ScriptOutputType.INTEGER, writeKeys(stream, group), item, raw == null ? "0" : "1", raw == null ? "" : raw,
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
      String[] keys = {logKey};
      String[] args = {channel, ChangeMessages.encode(change), positionsChannel, logLength};
      return commands.async().<Long>evalsha(PUBLISH.sha(), ScriptOutputType.INTEGER, keys, args).toCompletableFuture()
          .exceptionallyCompose(e -> unwrap(e) instanceof RedisNoScriptException
              ? commands.async().<Long>eval(PUBLISH.text(), ScriptOutputType.INTEGER, keys, args).toCompletableFuture()
              : CompletableFuture.failedFuture(e))
          .thenApply(written -> null);
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

  /** A write's keys: the group's two and the change log. */
  private String[] writeKeys(String stream, String group) {
    return new String[] {key(stream, group), orderKey(stream, group), logKey};
  }

  /** Runs a script that announces a change: the positions channel and the log's bound go last in ARGV. */
  private <T> T announce(RedisScript script, ScriptOutputType type, String[] keys, String... args) {
    String[] all = java.util.Arrays.copyOf(args, args.length + 2);
    all[args.length] = positionsChannel;
    all[args.length + 1] = logLength;
    return eval(script, type, keys, all);
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
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
