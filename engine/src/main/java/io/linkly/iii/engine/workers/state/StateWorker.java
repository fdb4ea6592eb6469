package io.linkly.iii.engine.workers.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.TraceContext;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.updates.UpdateError;
import io.linkly.iii.engine.updates.UpdateOp;
import io.linkly.iii.engine.updates.UpdateOpReader;
import io.linkly.iii.engine.updates.UpdateOpSyntaxException;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.DataDirectory;
import io.linkly.iii.engine.workers.EngineContext;
import io.linkly.iii.engine.workers.Input;
import io.linkly.iii.engine.workers.StartupException;
import io.linkly.iii.engine.workers.configuration.LiveConfig;
import io.linkly.iii.engine.workers.state.adapter.BridgeStateStore;
import io.linkly.iii.engine.workers.state.adapter.FileStateStore;
import io.linkly.iii.engine.workers.state.adapter.MemoryStateStore;
import io.linkly.iii.engine.workers.state.adapter.RedisStateStore;
import io.linkly.iii.engine.workers.state.adapter.StateStore;
import io.linkly.iii.engine.workers.state.adapter.StateStoreException;
import io.linkly.iii.protocol.Json;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code iii-state}: scoped key/value state with upstream's functions and result shapes
 * (BUILTINS.md §6, PROTOCOL.md §5.2), and the {@code state} trigger type, fired after every
 * successful set, update and delete.
 *
 * <p>Triggers fire on the engine that made the write, and only there, whatever the adapter: with
 * {@code redis}, engines share the state but do not tell each other about changes, as upstream's
 * do not (BUILTINS.md §6.3).
 */
public final class StateWorker implements BuiltinWorker {

  public static final String NAME = "iii-state";
  private static final Logger log = LoggerFactory.getLogger(StateWorker.class);

  /** The settings this worker started with (the adapter's are read at start only). */
  private StateConfig config;
  /** Where the block was configured, such as {@code workers[2].config}, to name a key in errors. */
  private final String configPath;
  /** The config.yaml block: the first boot's seed of the stored configuration. */
  private final JsonNode yamlBlock;
  private volatile Long maxValueBytes;
  private LiveConfig live;
  private StateStore store;
  private StateTriggers triggers;
  private io.linkly.iii.engine.metrics.Registration droppedMetric;

  StateWorker(StateConfig config, String configPath, JsonNode yamlBlock) {
    this.config = config;
    this.configPath = configPath;
    this.yamlBlock = yamlBlock;
    this.maxValueBytes = config.maxValueBytes();
  }

  public static StateWorker fromConfig(WorkerEntry entry) throws ConfigException {
    return new StateWorker(StateConfig.from(entry), ConfigBlock.of(entry).path(), entry.seed());
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void start(EngineContext context) throws StartupException {
    Engine engine = context.engine();
    LiveConfig.Opened<StateConfig> opened =
        LiveConfig.open(engine, NAME, "State", "Key/value state: adapter, state triggers and the value size limit",
            StateConfig.SCHEMA, yamlBlock, config, StateConfig::from);
    config = opened.settings();
    maxValueBytes = config.maxValueBytes();
    live = opened.live();
    store = openStore(context);
    engine.registerHealthCheck("state_store", store::health);
    Worker self = engine.registerBuiltinWorker(NAME);
    engine.registerFunction(
        self,
        define("state::set", "Set a value in state", StateSchemas.SET_REQUEST, StateSchemas.SET_RESPONSE),
        write(context, this::set));
    engine.registerFunction(
        self,
        define("state::get", "Get a value from state", StateSchemas.KEY_REQUEST, null),
        read(context, this::get));
    engine.registerFunction(
        self,
        define("state::delete", "Delete a value from state", StateSchemas.KEY_REQUEST, null),
        write(context, this::delete));
    engine.registerFunction(
        self,
        define("state::update", "Update a value in state", StateSchemas.UPDATE_REQUEST, StateSchemas.UPDATE_RESPONSE),
        write(context, this::update));
    engine.registerFunction(
        self,
        define("state::list", "Get a group from state", StateSchemas.SCOPE_REQUEST, null),
        read(context, this::list));
    engine.registerFunction(
        self,
        define("state::list_groups", "List all state groups", StateSchemas.EMPTY_REQUEST, StateSchemas.GROUPS_RESPONSE),
        read(context, this::listGroups));
    triggers =
        new StateTriggers(engine, context.blocking(), config.triggersEnabled(), StateTriggers.DEFAULT_MAX_IN_FLIGHT);
    engine.registerTriggerType(self, StateTriggers.TYPE, "State trigger", triggers);
    droppedMetric =
        engine.metrics().counter("iii_trigger_deliveries_dropped_total", "Trigger deliveries dropped because too many were in flight",
            java.util.Map.of("trigger_type", StateTriggers.TYPE), triggers::droppedEvents);
    live.watch(self, context.blocking(), this::apply);
  }

  /**
   * A change of the stored configuration (BUILTINS.md §6.1): {@code triggers_enabled} and
   * {@code max_value_bytes} apply at once; the adapter (and its save interval) at the next start.
   */
  private void apply(StateConfig next) {
    triggers.enabled(next.triggersEnabled());
    maxValueBytes = next.maxValueBytes();
    live.needsRestart("adapter", config.adapter(), next.adapter());
    log.info("iii-state: configuration applied (triggers_enabled: {}, max_value_bytes: {})",
        next.triggersEnabled(), next.maxValueBytes() == null ? "none" : next.maxValueBytes());
  }

  private StateStore openStore(EngineContext context) throws StartupException {
    return switch (config.adapter()) {
      case StateConfig.Kv kv -> openKv(kv, context);
      case StateConfig.Redis redis -> openRedis(redis);
      case StateConfig.Bridge bridge -> openBridge(bridge, context);
    };
  }

  /**
   * Starts even when the backend is not up yet: upstream's bridge retries in the background too,
   * and two engines started together (the backend and this one) then need no start order. Until
   * the bridge connects, state calls fail with an error naming the bridge and why, and
   * {@code engine::health::check} reports the store failing.
   */
  private StateStore openBridge(StateConfig.Bridge bridge, EngineContext context) {
    log.info("iii-state: bridge adapter; state is kept by the engine at {}", bridge.url());
    return BridgeStateStore.connect(bridge.url(), context.transport());
  }

  private StateStore openRedis(StateConfig.Redis redis) throws StartupException {
    try {
      return RedisStateStore.connect(redis.url());
    } catch (StateStoreException e) {
      // the message names the URL without its password
      throw new StartupException(
          NAME + " cannot use its redis adapter (" + configPath + ".adapter.config.redis_url: " + e.getMessage() + ")", e);
    }
  }

  private StateStore openKv(StateConfig.Kv adapter, EngineContext context) throws StartupException {
    if (adapter.storeMethod() == StateConfig.StoreMethod.FILE_BASED) {
      Path dir = adapter.filePath().toAbsolutePath().normalize();
      String key = configPath + ".adapter.config.file_path";
      DataDirectory.require(NAME, dir, dir, key);
      FileStateStore file;
      try {
        file = FileStateStore.open(dir, FileStateStore.Options.defaults(adapter.saveIntervalMs()), context.blocking());
      } catch (StateStoreException e) {
        throw StartupException.cannotUse(NAME, dir, key, e.getMessage(), e); // damage, or in use by another engine
      }
      log.info("iii-state: kv file_based store in {} (writes are on disk before they are acknowledged)",
          adapter.filePath());
      return file;
    }
    log.info("iii-state: kv in_memory store; state is lost when the engine stops (store_method: file_based keeps it)");
    return new MemoryStateStore();
  }

  /** Writes to a disk- or network-backed store block, so they run on a virtual thread, never on an event loop. */
  private BuiltinFunction write(EngineContext context, BuiltinFunction.SyncBody body) {
    return store.writesBlock() ? BuiltinFunction.blocking(context.blocking(), body) : BuiltinFunction.sync(body);
  }

  /** Reads from a network-backed store block too; an in-engine store answers them on the calling thread. */
  private BuiltinFunction read(EngineContext context, BuiltinFunction.SyncBody body) {
    return store.readsBlock() ? BuiltinFunction.blocking(context.blocking(), body) : BuiltinFunction.sync(body);
  }

  private static FunctionDefinition define(String id, String description, JsonNode request, JsonNode response) {
    return FunctionDefinition.of(id, description).withRequestFormat(request).withResponseFormat(response);
  }

  @Override
  public void close() {
    if (droppedMetric != null) {
      droppedMetric.close();
    }
    if (store != null) {
      store.close();
    }
  }

  // ------------------------------------------------------------------ functions

  private JsonNode set(Call call) {
    Input in = Input.of(call);
    String scope = in.requiredString("scope");
    String key = in.requiredString("key");
    JsonNode value = in.raw().get("value");
    JsonNode alias = in.raw().get("data");
    if (value != null && alias != null) {
      throw in.error("duplicate field `value`");
    }
    if (value == null) {
      value = alias;
    }
    if (value == null) {
      throw in.error("missing field `value`");
    }
    checkSize(value);
    StateStore.SetResult result;
    try {
      result = store.set(scope, key, value);
    } catch (StateStoreException e) {
      throw new InvocationException("SET_ERROR", "Failed to set value: " + e.getMessage());
    }
    triggers.fire(eventType(result.oldValue()), scope, key, result.oldValue(), result.newValue(), TraceContext.of(call));
    ObjectNode out = Json.object();
    out.set("old_value", orNull(result.oldValue()));
    out.set("new_value", result.newValue());
    return out;
  }

  private void checkSize(JsonNode value) {
    Long limit = maxValueBytes;
    if (limit == null) {
      return;
    }
    long bytes;
    try {
      bytes = Json.mapper().writeValueAsBytes(value).length;
    } catch (JsonProcessingException e) {
      throw new InvocationException("SET_ERROR", "Failed to set value: " + e.getOriginalMessage());
    }
    if (bytes > limit) {
      throw new InvocationException(
          "VALUE_TOO_LARGE",
          "value of " + bytes + " bytes exceeds the configured max_value_bytes limit of " + limit);
    }
  }

  private JsonNode get(Call call) {
    Input in = Input.of(call);
    String scope = in.requiredString("scope");
    String key = in.requiredString("key");
    try {
      return store.get(scope, key);
    } catch (StateStoreException e) {
      throw new InvocationException("GET_ERROR", "Failed to get value: " + e.getMessage());
    }
  }

  private JsonNode delete(Call call) {
    Input in = Input.of(call);
    String scope = in.requiredString("scope");
    String key = in.requiredString("key");
    JsonNode previous;
    try {
      previous = store.delete(scope, key);
    } catch (StateStoreException e) {
      throw new InvocationException("DELETE_ERROR", "Failed to delete value: " + e.getMessage());
    }
    // Upstream fires state:deleted even when the key did not exist.
    triggers.fire("state:deleted", scope, key, previous, null, TraceContext.of(call));
    return previous;
  }

  private JsonNode update(Call call) {
    Input in = Input.of(call);
    String scope = in.requiredString("scope");
    String key = in.requiredString("key");
    JsonNode rawOps = in.raw().get("ops");
    if (rawOps == null) {
      throw in.error("missing field `ops`");
    }
    List<UpdateOp> ops;
    try {
      ops = UpdateOpReader.read(rawOps);
    } catch (UpdateOpSyntaxException e) {
      throw in.error(e.getMessage());
    }
    StateStore.UpdateResult result;
    try {
      result = store.update(scope, key, ops);
    } catch (StateStoreException e) {
      throw new InvocationException("UPDATE_ERROR", "Failed to update value: " + e.getMessage());
    }
    triggers.fire(eventType(result.oldValue()), scope, key, result.oldValue(), result.newValue(), TraceContext.of(call));
    ObjectNode out = Json.object();
    out.set("old_value", orNull(result.oldValue()));
    out.set("new_value", result.newValue());
    if (!result.errors().isEmpty()) {
      ArrayNode errors = out.putArray("errors");
      for (UpdateError error : result.errors()) {
        errors.add(error.toJson());
      }
    }
    return out;
  }

  private JsonNode list(Call call) {
    String scope = Input.of(call).requiredString("scope");
    ArrayNode out = Json.mapper().createArrayNode();
    try {
      store.list(scope).forEach(out::add);
    } catch (StateStoreException e) {
      throw new InvocationException("LIST_ERROR", "Failed to list values: " + e.getMessage());
    }
    return out;
  }

  private JsonNode listGroups(Call call) {
    Input.of(call);
    ObjectNode out = Json.object();
    ArrayNode groups = out.putArray("groups");
    try {
      new TreeSet<>(store.listGroups()).forEach(groups::add);
    } catch (StateStoreException e) {
      throw new InvocationException("LIST_GROUPS_ERROR", "Failed to list groups: " + e.getMessage());
    }
    return out;
  }

  private static String eventType(JsonNode oldValue) {
    return oldValue == null ? "state:created" : "state:updated";
  }

  private static JsonNode orNull(JsonNode value) {
    return value == null ? NullNode.getInstance() : value;
  }
}
