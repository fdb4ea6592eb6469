package io.linkly.iii.engine.workers.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.TraceContext;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.DataDirectory;
import io.linkly.iii.engine.workers.EngineContext;
import io.linkly.iii.engine.workers.StartupException;
import io.linkly.iii.engine.workers.configuration.LiveConfig;
import io.linkly.iii.engine.workers.Input;
import io.linkly.iii.engine.updates.UpdateOp;
import io.linkly.iii.engine.updates.UpdateOpReader;
import io.linkly.iii.engine.updates.UpdateOpSyntaxException;
import io.linkly.iii.engine.workers.stream.adapter.BridgeStreamStore;
import io.linkly.iii.engine.workers.stream.adapter.FileStreamStore;
import io.linkly.iii.engine.workers.stream.adapter.MemoryStreamStore;
import io.linkly.iii.engine.workers.stream.adapter.RedisStreamStore;
import io.linkly.iii.engine.workers.stream.adapter.SharedStreamStore;
import io.linkly.iii.engine.workers.stream.adapter.StreamChange;
import io.linkly.iii.engine.workers.stream.adapter.StreamStore;
import io.linkly.iii.engine.workers.stream.adapter.StreamStoreException;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.Uuids;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code iii-stream}: the {@code stream::*} functions, the {@code stream}, {@code stream:join} and
 * {@code stream:leave} trigger types, and the subscriber socket on 3112 (BUILTINS.md §4).
 *
 * <p>With an engine-local store every write reaches {@link #commit} in the order the store commits
 * it; there it becomes visible and is published under its group's lock, so the store and every
 * subscriber see one order. A store shared between engines ({@code redis}) orders the writes
 * itself: subscribers get what its channel delivers ({@link Feed#received}), on every engine alike,
 * and only the writing engine fires the {@code stream} triggers ({@link Feed#wrote}). The caller is
 * answered once the write is durable. The {@code bridge} store keeps the streams on another engine
 * but commits here like a local store once that engine has answered, so writes made through this
 * engine reach its subscribers and triggers (writes made there directly do not:
 * {@link BridgeStreamStore}).
 */
public final class StreamWorker implements BuiltinWorker {

  public static final String NAME = "iii-stream";
  private static final Logger log = LoggerFactory.getLogger(StreamWorker.class);

  /** The settings this worker started with; of a later change only the adapter applies at once. */
  private StreamConfig config;
  /** Where the block was configured, such as {@code workers[6].config}, to name a key in errors. */
  private final String configPath;
  /** The config.yaml block: the first boot's seed of the stored configuration. */
  private final JsonNode yamlBlock;
  private Engine engine;
  private Clock clock;
  private Executor blocking;
  private EngineContext context;
  private LiveConfig live;
  private StreamConfig.Adapter adapter;
  private volatile StreamStore store;
  /** The store again when it is shared between engines, else null. */
  private volatile SharedStreamStore shared;
  private StreamHub hub;
  private StreamTriggers triggers;
  private StreamSocket socket;
  private final java.util.List<io.linkly.iii.engine.metrics.Registration> metrics = new java.util.ArrayList<>();

  private StreamWorker(StreamConfig config, String configPath, JsonNode yamlBlock) {
    this.config = config;
    this.configPath = configPath;
    this.yamlBlock = yamlBlock;
  }

  public static StreamWorker fromConfig(WorkerEntry entry) throws ConfigException {
    return new StreamWorker(StreamConfig.fromConfig(entry), ConfigBlock.of(entry).path(), entry.seed());
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void start(EngineContext context) throws Exception {
    engine = context.engine();
    clock = context.clock();
    blocking = context.blocking();
    this.context = context;
    LiveConfig.Opened<StreamConfig> opened =
        LiveConfig.open(engine, NAME, "Stream", "Streams and the subscriber socket: address, auth function, adapter",
            StreamConfig.SCHEMA, yamlBlock, config, StreamConfig::fromConfig);
    config = opened.settings();
    live = opened.live();
    adapter = config.adapter();
    hub = new StreamHub(Uuids.fast().toString(), config.historySize(), StreamHub.IDLE_HISTORY_MS, clock::millis, config.maxBufferedBytes(),
        config.slowSubscriberGraceMs());
    triggers = new StreamTriggers(engine, context.blocking());
    store = openStore(config.adapter(), context);
    shared = store instanceof SharedStreamStore s ? s : null;
    Worker self = engine.registerBuiltinWorker(NAME);
    engine.registerTriggerType(self, "stream", "Changes to a stream's items", triggers.stream);
    engine.registerTriggerType(self, "stream:join", "A client joins a stream subscription", triggers.join);
    engine.registerTriggerType(self, "stream:leave", "A client leaves a stream subscription", triggers.leave);
    register(self, "stream::set", "Store an item and push it to subscribers", this::set);
    register(self, "stream::get", "Read an item", this::get);
    register(self, "stream::delete", "Remove an item and tell subscribers", this::delete);
    register(self, "stream::list", "The values of a group's items", this::list);
    register(self, "stream::list_groups", "The groups of a stream", this::listGroups);
    register(self, "stream::list_all", "Every stream and its groups", this::listAll);
    register(self, "stream::update", "Apply update ops to an item and push the result", this::update);
    register(self, "stream::send", "Push a custom event to a group's subscribers without storing it", this::send);
    try {
      socket = new StreamSocket(context.transport(), config, engine, hub, triggers, this::snapshot);
    } catch (BindException e) {
      store.close(); // the engine will not close a worker that did not start
      throw StartupException.cannotListen(NAME, config.host(), config.port(), configPath + ".port", e);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    log.info("iii-stream listening on ws://{}:{}", config.host(), socket.port());
    engine.registerHealthCheck("listener:iii-stream", socket::health);
    engine.registerHealthCheck("stream_store", store::health);
    var registry = engine.metrics();
    metrics.add(registry.gauge("iii_stream_subscriptions", "Stream subscriptions joined and not left (port 3112)", hub::subscriptionCount));
    metrics.add(registry.counter("iii_stream_deliveries_total", "Stream events written to subscriber sockets", hub::deliveredCount));
    metrics.add(registry.counter("iii_stream_subscribers_cut_off_total", "Stream subscribers disconnected for not reading", hub::cutOffCount));
    metrics.add(
        registry.counter("iii_trigger_deliveries_dropped_total", "Trigger deliveries dropped because too many were in flight",
            java.util.Map.of("trigger_type", "stream"), triggers::droppedCount));
    live.watch(self, context.blocking(), this::apply);
  }

  /**
   * A change of the stored configuration (BUILTINS.md §4.1). An adapter change swaps the store:
   * the new one is opened, takes every later read and write, and the old one is closed. Subscribers
   * stay joined, since they hang off the hub and not the store, and receive the new store's
   * changes (upstream leaves them on the old backend, where they hear nothing more: #1876). Items
   * do not move between stores, as upstream. A store that cannot be opened keeps the old one.
   * Every other key takes effect at the next start (logged once).
   */
  private void apply(StreamConfig next) throws Exception {
    live.needsRestart("port", config.port(), next.port());
    live.needsRestart("host", config.host(), next.host());
    live.needsRestart("auth_function", config.authFunction(), next.authFunction());
    live.needsRestart("history_size", config.historySize(), next.historySize());
    live.needsRestart("max_buffered_bytes", config.maxBufferedBytes(), next.maxBufferedBytes());
    live.needsRestart("slow_subscriber_grace_ms", config.slowSubscriberGraceMs(), next.slowSubscriberGraceMs());
    live.needsRestart("max_subscriptions_per_connection", config.maxSubscriptionsPerConnection(), next.maxSubscriptionsPerConnection());
    live.needsRestart("retention", config.retention(), next.retention());
    if (next.adapter().equals(adapter)) {
      return;
    }
    StreamStore fresh = openStore(next.adapter(), context);
    StreamStore old = store;
    shared = fresh instanceof SharedStreamStore s ? s : null;
    store = fresh;
    old.close();
    log.info("iii-stream: adapter changed from {} to {}; {} subscription(s) kept", adapter.kind().name().toLowerCase(),
        next.adapter().kind().name().toLowerCase(), hub.subscriptionCount());
    adapter = next.adapter();
  }

  private StreamStore openStore(StreamConfig.Adapter adapter, EngineContext context) throws StreamStoreException, StartupException {
    return switch (adapter.kind()) {
      case MEMORY -> new MemoryStreamStore(this::commit);
      case FILE -> openFileStore(adapter.filePath().toAbsolutePath().normalize(), context);
      case REDIS -> RedisStreamStore.connect(adapter.redisUrl(), adapter.keyPrefix(), clock, new Feed());
      case BRIDGE -> openBridge(adapter, context);
    };
  }

  /**
   * Starts even when the backend is not up yet: upstream's bridge retries in the background too,
   * and two engines started together (the backend and this one) then need no start order. Until
   * the bridge connects, stream calls fail with an error naming the bridge and why, and
   * {@code engine::health::check} reports the store failing.
   */
  private StreamStore openBridge(StreamConfig.Adapter adapter, EngineContext context) {
    log.info("iii-stream: bridge adapter; streams are kept by the engine at {}", adapter.bridgeUrl());
    return BridgeStreamStore.connect(adapter.bridgeUrl(), context.transport(), this::commit);
  }

  private FileStreamStore openFileStore(Path dir, EngineContext context) throws StartupException {
    String key = configPath + ".adapter.config.file_path";
    DataDirectory.require(NAME, dir, dir, key);
    try {
      return FileStreamStore.open(dir, context.blocking(), this::commit, config::maxItems);
    } catch (StreamStoreException e) {
      throw StartupException.cannotUse(NAME, dir, key, e.getMessage(), e); // damage, or in use by another engine
    }
  }

  private void register(Worker self, String id, String description, BuiltinFunction function) {
    engine.registerFunction(self, FunctionDefinition.of(id, description), function);
  }

  @Override
  public int port() {
    return socket == null ? 0 : socket.port();
  }

  /** Subscriptions joined and not yet left, on every connection. */
  public int subscriptions() {
    return hub.subscriptionCount();
  }

  /** Metrics for tests and benchmarks: subscribers cut off for not reading, frames delivered. */
  public long subscribersCutOff() {
    return hub.cutOffCount();
  }

  public long framesDelivered() {
    return hub.deliveredCount();
  }

  @Override
  public void close() {
    metrics.forEach(io.linkly.iii.engine.metrics.Registration::close);
    metrics.clear();
    if (socket != null) {
      socket.close();
    }
    if (store != null) {
      store.close();
    }
  }

  // ------------------------------------------------------------------ functions

  private record Address(String stream, String group, String item) {}

  private static Address address(Input in, boolean withItem) {
    return new Address(in.requiredString("stream_name"), in.requiredString("group_id"), withItem ? in.requiredString("item_id") : null);
  }

  /** A registered {@code stream::<op>(<name>)} function takes over that operation for a stream. */
  private CompletableFuture<JsonNode> override(String op, String stream, Call call) {
    String id = "stream::" + op + "(" + stream + ")";
    if (engine.function(id).isEmpty()) {
      return null;
    }
    JsonNode input = call.data() == null ? Json.object() : call.data().deepCopy();
    if (input instanceof ObjectNode object) {
      object.remove("_caller_worker_id");
    }
    return engine.invoke(Call.of(id, input));
  }

  private CompletableFuture<JsonNode> set(Call call) {
    Input in = Input.of(call);
    Address a = address(in, true);
    JsonNode data = in.requiredTree("data");
    CompletableFuture<JsonNode> custom = override("set", a.stream(), call);
    if (custom != null) {
      return custom.thenApply(r -> afterOverride(a, requireObject(r, "set"), false, TraceContext.of(call)));
    }
    return write(
        () -> {
          JsonNode previous = store.put(a.stream(), a.group(), a.item(), data, TraceContext.of(call));
          if (previous == null) {
            trim(a.stream(), a.group());
          }
          return setResult(previous, data);
        },
        "STREAM_SET_ERROR",
        "Failed to set value: ");
  }

  /**
   * Holds a group of a bounded stream ({@code retention}) at its newest items: the oldest expire
   * without an event (StreamStore#expireOldest says why); a joining subscriber gets the window.
   */
  private void trim(String stream, String group) throws StreamStoreException {
    int keep = config.maxItems(stream, group);
    if (keep == 0) {
      return;
    }
    if (store.writesBlock()) {
      store.expireOldest(stream, group, keep);
      return;
    }
    hub.locked(stream, group, () -> { // an in-memory group is only touched under its lock
      try {
        store.expireOldest(stream, group, keep);
        return null;
      } catch (StreamStoreException e) {
        throw new InvocationException("STREAM_SET_ERROR", e.getMessage());
      }
    });
  }

  private CompletableFuture<JsonNode> delete(Call call) {
    Input in = Input.of(call);
    Address a = address(in, true);
    CompletableFuture<JsonNode> custom = override("delete", a.stream(), call);
    if (custom != null) {
      return custom.thenApply(r -> afterOverride(a, requireObject(r, "delete"), true, TraceContext.of(call)));
    }
    return write(() -> deleteResult(store.remove(a.stream(), a.group(), a.item(), TraceContext.of(call))), "STREAM_DELETE_ERROR", "Failed to delete value: ");
  }

  private CompletableFuture<JsonNode> update(Call call) {
    Input in = Input.of(call);
    Address a = address(in, true);
    List<UpdateOp> ops;
    try {
      ops = UpdateOpReader.read(in.requiredTree("ops"));
    } catch (UpdateOpSyntaxException e) {
      throw in.error(e.getMessage());
    }
    CompletableFuture<JsonNode> custom = override("update", a.stream(), call);
    if (custom != null) {
      return custom.thenApply(r -> afterOverride(a, requireObject(r, "update"), false, TraceContext.of(call)));
    }
    return write(
        () -> {
          StreamStore.Updated updated = store.update(a.stream(), a.group(), a.item(), ops, TraceContext.of(call));
          if (updated.change().previous() == null) {
            trim(a.stream(), a.group());
          }
          ObjectNode out = (ObjectNode) setResult(updated.change().previous(), updated.change().value());
          if (!updated.errors().isEmpty()) {
            ArrayNode errors = out.putArray("errors");
            updated.errors().forEach(e -> errors.add(e.toJson()));
          }
          return out;
        },
        "STREAM_UPDATE_ERROR",
        "Failed to update value: ");
  }

  @FunctionalInterface
  private interface StoreCall {
    JsonNode run() throws StreamStoreException;
  }

  /** Runs a store write where it may block; its change is published by {@link #commit} or the feed. */
  private CompletableFuture<JsonNode> write(StoreCall op, String errorCode, String errorPrefix) {
    if (!store.writesBlock()) {
      return CompletableFuture.completedFuture(run(op, errorCode, errorPrefix));
    }
    return CompletableFuture.supplyAsync(() -> run(op, errorCode, errorPrefix), blocking);
  }

  /**
   * Runs a store read: under the group's lock ({@code group} non-null) when the store is local and
   * never blocks, otherwise where it may block and without any lock, since the feed thread takes
   * the group locks.
   */
  private CompletableFuture<JsonNode> read(String stream, String group, StoreCall op, String errorCode, String errorPrefix) {
    if (store.readsBlock()) {
      return CompletableFuture.supplyAsync(() -> run(op, errorCode, errorPrefix), blocking);
    }
    if (group == null) {
      return CompletableFuture.completedFuture(run(op, errorCode, errorPrefix));
    }
    return CompletableFuture.completedFuture(hub.locked(stream, group, () -> run(op, errorCode, errorPrefix)));
  }

  private static JsonNode run(StoreCall op, String errorCode, String errorPrefix) {
    try {
      return op.run();
    } catch (StreamStoreException e) {
      throw new InvocationException(errorCode, errorPrefix + e.getMessage());
    }
  }

  /**
   * The store's commit, in commit order: applies the write and publishes its change under the
   * group's lock, so that a joining subscriber's snapshot and the live changes never overlap or
   * leave a gap. Triggers are started after the lock is released.
   */
  private StreamStore.Change commit(String stream, String group, String item, TraceContext origin, Supplier<StreamStore.Change> apply) {
    StreamEvent[] event = new StreamEvent[1];
    StreamStore.Change change =
        hub.locked(stream, group, () -> {
          StreamStore.Change c = apply.get();
          if (c.value() == null && c.previous() == null) {
            return c; // deleting nothing emits nothing
          }
          String kind = c.value() == null ? StreamEvent.DELETE : c.previous() == null ? StreamEvent.CREATE : StreamEvent.UPDATE;
          event[0] = hub.publish(stream, group, item, kind, c.value() == null ? c.previous() : c.value(), clock.millis());
          return c;
        });
    if (event[0] != null) {
      try {
        triggers.fire(event[0], origin);
      } catch (RuntimeException e) {
        log.warn("stream triggers for {}/{} failed to start: {}", LogSafe.escape(stream), LogSafe.escape(group), e.toString());
      }
    }
    return change;
  }

  private JsonNode afterOverride(Address a, JsonNode result, boolean removal, TraceContext origin) {
    JsonNode previous = result.get("old_value");
    previous = previous == null || previous.isNull() ? null : previous;
    if (removal && previous == null) {
      return result;
    }
    JsonNode value = removal ? previous : result.get("new_value");
    String kind = removal ? StreamEvent.DELETE : previous == null ? StreamEvent.CREATE : StreamEvent.UPDATE;
    announce(a.stream(), a.group(), a.item(), kind, value, origin)
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                log.warn("stream {}/{}: the change of an override could not be published: {}", LogSafe.escape(a.stream()), LogSafe.escape(a.group()),
                    InvocationException.bodyOf(e).message());
              }
            });
    return result;
  }

  /**
   * Publishes a change that no store write carried ({@code stream::send}, an override's write) and
   * fires its triggers; with a shared store the change goes to every engine through its channel.
   */
  private CompletableFuture<Void> announce(String stream, String group, String item, String kind, JsonNode data, TraceContext origin) {
    long now = clock.millis();
    if (shared == null) {
      triggers.fire(hub.publish(stream, group, item, kind, data, now), origin);
      return CompletableFuture.completedFuture(null);
    }
    StreamChange change = new StreamChange(stream, group, item, kind, data, now);
    fireTriggers(change, origin);
    return shared.publish(change);
  }

  /** Fires the {@code stream} triggers of a change this engine made; their payload is upstream's wrapper. */
  private void fireTriggers(StreamChange c, TraceContext origin) {
    try {
      triggers.fire(StreamEvent.of(c.stream(), c.group(), c.itemId(), c.kind(), c.data(), c.timestamp(), -1, null), origin);
    } catch (RuntimeException e) {
      log.warn("stream triggers for {}/{} failed to start: {}", LogSafe.escape(c.stream()), LogSafe.escape(c.group()), e.toString());
    }
  }

  /** The worker's side of a shared store. */
  private final class Feed implements SharedStreamStore.Feed {
    @Override
    public void wrote(StreamChange change, TraceContext origin) {
      fireTriggers(change, origin);
    }

    @Override
    public void received(StreamChange c) {
      hub.publish(c.stream(), c.group(), c.itemId(), c.kind(), c.data(), c.timestamp());
    }

    @Override
    public void interrupted() {
      hub.interrupt("the stream store's change feed was interrupted; rejoin to resync");
    }
  }

  private static JsonNode requireObject(JsonNode result, String op) {
    if (result == null) {
      throw new InvocationException("JSON_ERROR", "Function returned no result");
    }
    if (!result.isObject()) {
      throw new InvocationException("JSON_ERROR", "stream::" + op + " override must return an object, got " + result);
    }
    return result;
  }

  private static JsonNode setResult(JsonNode previous, JsonNode value) {
    ObjectNode out = Json.object();
    out.set("old_value", previous == null ? Json.mapper().nullNode() : previous);
    out.set("new_value", value);
    return out;
  }

  private static JsonNode deleteResult(JsonNode previous) {
    ObjectNode out = Json.object();
    out.set("old_value", previous == null ? Json.mapper().nullNode() : previous);
    return out;
  }

  private CompletableFuture<JsonNode> get(Call call) {
    Input in = Input.of(call);
    Address a = address(in, true);
    CompletableFuture<JsonNode> custom = override("get", a.stream(), call);
    if (custom != null) {
      return custom;
    }
    return read(a.stream(), a.group(), () -> store.get(a.stream(), a.group(), a.item()), "STREAM_GET_ERROR", "Failed to get value: ");
  }

  private CompletableFuture<JsonNode> list(Call call) {
    Input in = Input.of(call);
    Address a = address(in, false);
    CompletableFuture<JsonNode> custom = override("list", a.stream(), call);
    if (custom != null) {
      return custom;
    }
    return read(a.stream(), a.group(), () -> array(store.list(a.stream(), a.group())), "STREAM_GET_GROUP_ERROR", "Failed to get group: ");
  }

  private CompletableFuture<JsonNode> listGroups(Call call) {
    Input in = Input.of(call);
    String stream = in.requiredString("stream_name");
    CompletableFuture<JsonNode> custom = override("list_groups", stream, call);
    if (custom != null) {
      return custom;
    }
    return read(
        stream,
        null,
        () -> {
          ArrayNode out = Json.mapper().createArrayNode();
          store.groups(stream).forEach(out::add);
          return out;
        },
        "STREAM_LIST_GROUPS_ERROR",
        "Failed to list groups: ");
  }

  private CompletableFuture<JsonNode> listAll(Call call) {
    Input.of(call);
    return read(
        null,
        null,
        () -> {
          ObjectNode out = Json.object();
          ArrayNode streams = out.putArray("stream");
          Map<String, List<String>> all = store.streams();
          all.forEach(
              (name, groups) -> {
                ObjectNode entry = streams.addObject();
                entry.put("id", name);
                ArrayNode list = entry.putArray("groups");
                groups.forEach(list::add);
              });
          out.put("count", all.size());
          return out;
        },
        "STREAM_LIST_ALL_ERROR",
        "Failed to list stream: ");
  }

  private CompletableFuture<JsonNode> send(Call call) {
    Input in = Input.of(call);
    Address a = address(in, false);
    String type = in.requiredString("type");
    JsonNode data = in.requiredTree("data");
    String id = in.optionalString("id");
    return announce(a.stream(), a.group(), id, StreamEvent.CUSTOM, StreamEvent.customPayload(type, data), TraceContext.of(call))
        .handle(
            (v, e) -> {
              if (e != null) {
                throw new InvocationException("STREAM_SEND_ERROR", "Failed to send event: " + InvocationException.bodyOf(e).message());
              }
              return null;
            });
  }

  private static ArrayNode array(List<JsonNode> values) {
    ArrayNode out = Json.mapper().createArrayNode();
    values.forEach(out::add);
    return out;
  }

  /**
   * What a joining subscriber is synced with (the item's value, or the group's values) and the
   * sequence number of the last change it reflects. A local store is read under the group's lock;
   * a shared one hands its value over in channel order, where the hub's sequence number says
   * exactly which changes the value reflects.
   */
  private CompletableFuture<StreamHub.Snapshot> snapshot(String stream, String group, String itemId) {
    if (shared != null) {
      CompletableFuture<StreamHub.Snapshot> out = new CompletableFuture<>();
      shared.snapshot(
          stream,
          group,
          itemId,
          (value, failure) -> {
            if (failure != null) {
              out.completeExceptionally(failure);
            } else {
              out.complete(new StreamHub.Snapshot(value, hub.seq(stream, group)));
            }
          });
      return out;
    }
    if (store.readsBlock()) {
      // a store across the network (bridge) is read on a virtual thread, never on the socket's loop,
      // and under the store's own write lock rather than the group's, which loops must not wait for
      return CompletableFuture.supplyAsync(
          () -> {
            try {
              return store.excludingWrites(stream, group, () -> new StreamHub.Snapshot(localSnapshot(stream, group, itemId), hub.seq(stream, group)));
            } catch (StreamStoreException e) {
              throw new InvocationException("STREAM_GET_ERROR", e.getMessage());
            }
          },
          blocking);
    }
    try {
      return CompletableFuture.completedFuture(
          hub.locked(stream, group, () -> new StreamHub.Snapshot(localSnapshot(stream, group, itemId), hub.seq(stream, group))));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private JsonNode localSnapshot(String stream, String group, String itemId) {
    try {
      if (itemId != null) {
        JsonNode value = store.get(stream, group, itemId);
        return value == null ? Json.mapper().nullNode() : value;
      }
      return array(store.list(stream, group));
    } catch (StreamStoreException e) {
      throw new InvocationException("STREAM_GET_ERROR", e.getMessage());
    }
  }
}
