package io.linkly.iii.engine.workers.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.channels.ChannelRef;
import io.linkly.iii.engine.channels.DataChannel;
import io.linkly.iii.engine.channels.DataChannels;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.FunctionEntry;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.TriggerTypeEntry;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.core.WorkerMetadata;
import io.linkly.iii.engine.rbac.SessionAccess;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.EngineContext;
import io.linkly.iii.engine.workers.Input;
import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.Uuids;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * {@code iii-engine-functions}: introspection and control of the engine through ordinary function
 * calls (BUILTINS.md §12), with upstream's result shapes.
 */
public final class EngineFunctionsWorker implements BuiltinWorker {

  public static final String NAME = "iii-engine-functions";
  private static final int MAX_BATCH = 32;
  private static final int SUMMARY_CHARS = 80;

  private Engine engine;
  private DataChannels channels;
  private WorkersAvailable workersAvailable;

  public static EngineFunctionsWorker fromConfig(WorkerEntry entry) throws ConfigException {
    ConfigBlock.of(entry).onlyKeys(Set.of());
    return new EngineFunctionsWorker();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void start(EngineContext context) {
    this.engine = context.engine();
    this.channels = context.channels();
    Worker self = engine.registerBuiltinWorker(NAME);
    register(self, "engine::functions::list", "List registered functions", this::listFunctions);
    register(self, "engine::functions::info", "Describe one or more functions", this::functionInfo);
    register(self, "engine::triggers::list", "List trigger types", this::listTriggerTypes);
    register(self, "engine::triggers::info", "Describe a trigger type", this::triggerTypeInfo);
    register(self, "engine::registered-triggers::list", "List trigger bindings", this::listBindings);
    register(self, "engine::registered-triggers::info", "Describe a trigger binding", this::bindingInfo);
    register(self, "engine::workers::list", "List connected workers", this::listWorkers);
    register(self, "engine::workers::info", "Describe a worker by name", this::workerInfo);
    register(self, "engine::workers::register", "Report a worker's metadata", this::registerWorker);
    register(self, "engine::register_trigger", "Create an ownerless trigger binding", this::registerTrigger);
    register(self, "engine::unregister_trigger", "Remove a trigger binding", this::unregisterTrigger);
    register(self, "engine::channels::create", "Create a data channel: a writer ref and a reader ref", this::createChannel);
    workersAvailable = new WorkersAvailable(engine);
    engine.registerTriggerType(
        self, WorkersAvailable.TYPE, "Fires when a worker connects, disconnects or updates its metadata", workersAvailable);
    engine.addWorkerListener(workersAvailable::onEvent);
  }

  private void register(Worker self, String id, String description, BuiltinFunction.SyncBody body) {
    engine.registerFunction(self, FunctionDefinition.of(id, description), BuiltinFunction.sync(body));
  }

  // ------------------------------------------------------------------ functions

  /**
   * {@code {buffer_size?}} (frames; default 64, at most 1024, clamped as upstream does) → {@code
   * {writer, reader}} refs of one new channel (PROTOCOL.md §7.1).
   */
  private JsonNode createChannel(Call call) {
    long size = DataChannels.DEFAULT_CAPACITY;
    if (call.data() != null && !call.data().isNull()) {
      Long asked = Input.of(call).optionalLong("buffer_size");
      if (asked != null) {
        size = asked;
      }
    }
    if (channels.openCount() >= DataChannels.MAX_OPEN) {
      throw new InvocationException("too_many_channels", DataChannels.MAX_OPEN + " channels are open; use or close some first");
    }
    DataChannel channel = channels.create(Math.clamp(size, Integer.MIN_VALUE, Integer.MAX_VALUE)); // it bounds the size
    ObjectNode out = Json.object();
    out.set("writer", channel.ref(ChannelRef.Direction.WRITE).toJson());
    out.set("reader", channel.ref(ChannelRef.Direction.READ).toJson());
    return out;
  }

  private JsonNode listFunctions(Call call) {
    Input in = Input.of(call);
    String search = lower(in.optionalString("search"));
    String prefix = in.optionalString("prefix");
    String worker = in.optionalString("worker");
    List<String> workers = in.optionalStrings("workers");
    boolean includeInternal = in.optionalBool("include_internal", false);
    SessionAccess access = engine.access(call.callerWorkerId());

    List<FunctionEntry> matching = new ArrayList<>();
    for (FunctionEntry f : engine.functions()) {
      if (!includeInternal && isHidden(f)) {
        continue;
      }
      if (!access.mayCall(f.id(), f.metadata())) {
        continue; // a session sees only what it may call (PROTOCOL.md §9.2)
      }
      if (prefix != null && !f.id().startsWith(prefix)) {
        continue;
      }
      String name = workerName(f);
      if (worker != null && !worker.equals(name)) {
        continue;
      }
      if (workers != null && !workers.contains(name)) {
        continue;
      }
      if (search != null && searchRank(f, search) < 0) {
        continue;
      }
      matching.add(f);
    }
    Comparator<FunctionEntry> order = Comparator.comparing(FunctionEntry::id);
    if (search != null) {
      order = Comparator.<FunctionEntry>comparingInt(f -> searchRank(f, search)).thenComparing(FunctionEntry::id);
    }
    matching.sort(order);
    ArrayNode list = Json.mapper().createArrayNode();
    for (FunctionEntry f : matching) {
      ObjectNode item = list.addObject();
      item.put("function_id", f.id());
      item.put("worker_name", workerName(f));
      putIfPresent(item, "description", f.description());
      putIfPresent(item, "metadata", f.metadata());
    }
    ObjectNode out = Json.object();
    out.set("functions", list);
    return out;
  }

  /** 0: id prefix or segment hit, 1: id substring, 2: description substring, -1: no match. */
  private static int searchRank(FunctionEntry f, String search) {
    String id = f.id().toLowerCase(Locale.ROOT);
    if (id.startsWith(search) || List.of(id.split("::")).stream().anyMatch(s -> s.startsWith(search))) {
      return 0;
    }
    if (id.contains(search)) {
      return 1;
    }
    if (f.description() != null && f.description().toLowerCase(Locale.ROOT).contains(search)) {
      return 2;
    }
    return -1;
  }

  private static boolean isHidden(FunctionEntry f) {
    return (f.id().startsWith("engine::") && !f.id().startsWith("engine::queue::")) || f.isInternal();
  }

  private JsonNode functionInfo(Call call) {
    Input in = Input.of(call);
    String single = in.optionalString("function_id");
    List<String> batch = in.optionalStrings("function_ids");
    if ((single == null) == (batch == null)) {
      throw new InvocationException(
          ErrorCodes.INVALID_ARGUMENTS, "provide exactly one of function_id or function_ids");
    }
    SessionAccess access = engine.access(call.callerWorkerId());
    if (single != null) {
      FunctionEntry f =
          engine
              .function(single)
              .orElseThrow(() -> new InvocationException(ErrorCodes.NOT_FOUND, "Function '" + single + "' not found"));
      String denial = access.denial(f.id(), f.metadata());
      if (denial != null) {
        throw new InvocationException(ErrorCodes.FORBIDDEN, denial);
      }
      return functionDetail(f);
    }
    if (batch.isEmpty() || batch.size() > MAX_BATCH) {
      throw new InvocationException(
          ErrorCodes.INVALID_ARGUMENTS, "function_ids must hold between 1 and " + MAX_BATCH + " ids");
    }
    ArrayNode list = Json.mapper().createArrayNode();
    for (String id : new LinkedHashSet<>(batch)) {
      Optional<FunctionEntry> f = engine.function(id);
      if (f.isPresent() && !access.mayCall(id, f.get().metadata())) {
        list.addObject().put("function_id", id).put("error", "forbidden");
      } else if (f.isPresent()) {
        list.add(functionDetail(f.get()));
      } else {
        list.addObject().put("function_id", id).put("error", "not_found");
      }
    }
    ObjectNode out = Json.object();
    out.set("functions", list);
    return out;
  }

  private ObjectNode functionDetail(FunctionEntry f) {
    ObjectNode out = Json.object();
    out.put("function_id", f.id());
    out.put("worker_name", workerName(f));
    putIfPresent(out, "description", f.description());
    putIfPresent(out, "request_schema", f.requestFormat());
    putIfPresent(out, "response_schema", f.responseFormat());
    putIfPresent(out, "metadata", f.metadata());
    ArrayNode triggers = out.putArray("registered_triggers");
    for (TriggerBinding b : engine.triggerBindings()) {
      if (b.functionId().equals(f.id())) {
        triggers.addObject().put("id", b.id()).put("trigger_type", b.triggerType()).set("config", b.config());
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ trigger types and bindings

  private JsonNode listTriggerTypes(Call call) {
    Input in = Input.of(call);
    String search = lower(in.optionalString("search"));
    String prefix = in.optionalString("prefix");
    String worker = in.optionalString("worker");
    boolean includeInternal = in.optionalBool("include_internal", false);
    ArrayNode list = Json.mapper().createArrayNode();
    for (TriggerTypeEntry t : engine.triggerTypes()) {
      if (!includeInternal && t.id().startsWith("engine::")) {
        continue;
      }
      if (prefix != null && !t.id().startsWith(prefix)) {
        continue;
      }
      String name = workerName(t.owner(), t.id());
      if (worker != null && !worker.equals(name)) {
        continue;
      }
      if (search != null
          && !t.id().toLowerCase(Locale.ROOT).contains(search)
          && !t.description().toLowerCase(Locale.ROOT).contains(search)) {
        continue;
      }
      list.addObject().put("id", t.id()).put("worker_name", name).put("description", t.description());
    }
    ObjectNode out = Json.object();
    out.set("triggers", list);
    return out;
  }

  private JsonNode triggerTypeInfo(Call call) {
    String id = Input.of(call).requiredString("id");
    TriggerTypeEntry t =
        engine
            .triggerType(id)
            .orElseThrow(() -> new InvocationException(ErrorCodes.NOT_FOUND, "Trigger type '" + id + "' not found"));
    ObjectNode out = Json.object();
    out.put("id", t.id());
    out.put("worker_name", workerName(t.owner(), t.id()));
    out.put("description", t.description());
    putIfPresent(out, "configuration_schema", t.triggerRequestFormat());
    putIfPresent(out, "request_schema", t.callRequestFormat());
    out.put("instance_count", engine.triggerBindings().stream().filter(b -> b.triggerType().equals(id)).count());
    return out;
  }

  private JsonNode listBindings(Call call) {
    Input in = Input.of(call);
    String search = lower(in.optionalString("search"));
    String type = in.optionalString("trigger_type");
    String function = in.optionalString("function_id");
    String worker = in.optionalString("worker");
    boolean includeInternal = in.optionalBool("include_internal", false);
    ArrayNode list = Json.mapper().createArrayNode();
    for (TriggerBinding b : engine.triggerBindings()) {
      if (!includeInternal
          && (b.functionId().startsWith("engine::") || engine.function(b.functionId()).map(f -> f.isInternal()).orElse(false))) {
        continue; // e.g. a built-in's <id>::config-watch, bound to its internal <id>::on-config-change
      }
      if (type != null && !type.equals(b.triggerType())) {
        continue;
      }
      if (function != null && !function.equals(b.functionId())) {
        continue;
      }
      String name = bindingWorkerName(b);
      if (worker != null && !worker.equals(name)) {
        continue;
      }
      if (search != null
          && !(b.id() + " " + b.triggerType() + " " + b.functionId()).toLowerCase(Locale.ROOT).contains(search)) {
        continue;
      }
      list.add(bindingSummary(b));
    }
    ObjectNode out = Json.object();
    out.set("registered_triggers", list);
    return out;
  }

  private ObjectNode bindingSummary(TriggerBinding b) {
    ObjectNode item = Json.object();
    item.put("id", b.id());
    item.put("trigger_type", b.triggerType());
    item.put("function_id", b.functionId());
    item.put("worker_name", bindingWorkerName(b));
    item.set("config", b.config());
    String summary = Json.write(b.config());
    item.put("config_summary", summary.length() > SUMMARY_CHARS ? summary.substring(0, SUMMARY_CHARS) + "…" : summary);
    return item;
  }

  private JsonNode bindingInfo(Call call) {
    String id = Input.of(call).requiredString("id");
    TriggerBinding b =
        engine.triggerBindings().stream()
            .filter(x -> x.id().equals(id))
            .findFirst()
            .orElseThrow(() -> new InvocationException(ErrorCodes.NOT_FOUND, "Trigger '" + id + "' not found"));
    ObjectNode out = bindingSummary(b);
    out.remove("config_summary");
    putIfPresent(out, "metadata", b.metadata());
    engine
        .triggerType(b.triggerType())
        .ifPresent(
            t ->
                out.putObject("trigger")
                    .put("id", t.id())
                    .put("worker_name", workerName(t.owner(), t.id()))
                    .put("description", t.description()));
    engine.function(b.functionId()).ifPresent(f -> out.set("function", functionDetail(f)));
    return out;
  }

  private JsonNode registerTrigger(Call call) {
    Input in = Input.of(call);
    String type = in.requiredString("trigger_type");
    String function = in.requiredString("function_id");
    JsonNode config = in.optionalTree("config");
    TriggerBinding binding =
        new TriggerBinding(
            Uuids.fast().toString(), type, function, config == null ? Json.object() : config, in.optionalTree("metadata"), null);
    Optional<String> rejection = engine.registerTrigger(binding);
    if (rejection.isPresent()) {
      throw new InvocationException(ErrorCodes.TRIGGER_REGISTRATION_FAILED, rejection.get());
    }
    return Json.object().put("id", binding.id());
  }

  private JsonNode unregisterTrigger(Call call) {
    String id = Input.of(call).requiredString("id");
    return Json.object().put("removed", engine.unregisterTrigger(id).isPresent());
  }

  // ------------------------------------------------------------------ workers

  private JsonNode listWorkers(Call call) {
    Input in = Input.of(call);
    String search = lower(in.optionalString("search"));
    String runtime = in.optionalString("runtime");
    String status = in.optionalString("status");
    List<Worker> visible =
        engine.workers().stream()
            .filter(w -> w.isBuiltin() || w.metadata().pid() != null)
            .filter(w -> runtime == null || runtime.equals(w.metadata().runtime()))
            .filter(w -> status == null || status.equals(status(w)))
            .filter(
                w ->
                    search == null
                        || String.valueOf(w.displayName()).toLowerCase(Locale.ROOT).contains(search)
                        || w.id().contains(search))
            .sorted(Comparator.comparing((Worker w) -> String.valueOf(w.displayName())).thenComparing(Worker::id))
            .toList();
    ArrayNode list = Json.mapper().createArrayNode();
    visible.forEach(w -> list.add(workerSummary(w)));
    ObjectNode out = Json.object();
    out.set("workers", list);
    return out;
  }

  private ObjectNode workerSummary(Worker w) {
    WorkerMetadata m = w.metadata();
    ObjectNode item = Json.object();
    item.put("name", w.displayName());
    item.put("description", m.description());
    item.put("version", m.version());
    item.put("id", w.id());
    item.put("runtime", m.runtime());
    item.put("os", m.os());
    item.put("status", status(w));
    item.put("function_count", engine.functions().stream().filter(f -> f.owner() == w).count());
    item.put("connected_at_ms", w.connectedAtMs());
    item.put("active_invocations", w.activeInvocations());
    item.put("isolation", m.isolation());
    item.put("ip_address", w.isBuiltin() ? null : w.connection().remoteAddress());
    return item;
  }

  private static String status(Worker w) {
    return w.isBuiltin() ? "available" : "connected";
  }

  private JsonNode workerInfo(Call call) {
    String name = Input.of(call).requiredString("name");
    Worker w =
        engine.workers().stream()
            .filter(x -> name.equals(x.displayName()) || name.equals(x.id()))
            .min(Comparator.comparing(Worker::id))
            .orElseThrow(() -> new InvocationException(ErrorCodes.NOT_FOUND, "Worker '" + name + "' is not connected."));
    ObjectNode summary = workerSummary(w);
    if (w.metadata().pid() != null) {
      summary.put("pid", w.metadata().pid());
    }
    summary.put("internal", w.isBuiltin());
    ObjectNode out = Json.object();
    out.set("worker", summary);
    ArrayNode functions = out.putArray("functions");
    engine.functions().stream()
        .filter(f -> f.owner() == w)
        .map(FunctionEntry::id)
        .sorted()
        .forEach(functions::add);
    ArrayNode types = out.putArray("trigger_types");
    engine.triggerTypes().stream().filter(t -> t.owner() == w).forEach(t -> types.add(t.id()));
    ArrayNode bindings = out.putArray("registered_triggers");
    engine.triggerBindings().stream()
        .filter(b -> w.id().equals(b.ownerWorkerId()))
        .forEach(b -> bindings.add(bindingSummary(b)));
    return out;
  }

  private JsonNode registerWorker(Call call) {
    Input in = Input.of(call);
    String callerId = in.optionalString("_caller_worker_id");
    Worker worker =
        callerId == null ? null : engine.worker(callerId).filter(w -> !w.isBuiltin()).orElse(null);
    if (worker == null) {
      throw new InvocationException(
          ErrorCodes.INVALID_ARGUMENTS, "engine::workers::register must be called by a connected worker");
    }
    String description = in.optionalString("description");
    if (description != null) {
      description = sanitize(description);
    }
    WorkerMetadata metadata =
        new WorkerMetadata(
            in.optionalString("name"),
            description,
            in.optionalString("runtime"),
            in.optionalString("version"),
            in.optionalString("os"),
            in.optionalLong("pid"),
            in.optionalString("isolation"),
            in.optionalTree("telemetry"));
    engine.updateMetadata(worker, metadata);
    return Json.object().put("success", true);
  }

  /** Descriptions are shown in terminals: strip control and bidi characters, cap at 280. */
  private static String sanitize(String text) {
    StringBuilder out = new StringBuilder();
    text.codePoints()
        .filter(c -> !Character.isISOControl(c) && !(c >= 0x202A && c <= 0x202E) && !(c >= 0x2066 && c <= 0x2069))
        .limit(280)
        .forEach(out::appendCodePoint);
    return out.toString();
  }

  // ------------------------------------------------------------------ names

  private String workerName(FunctionEntry f) {
    return workerName(f.owner(), f.id());
  }

  /** Upstream's rule: the owner's reported name, else the module name, else the id's first segment. */
  static String workerName(Worker owner, String id) {
    if (owner != null && owner.displayName() != null) {
      return owner.displayName();
    }
    int sep = id.indexOf("::");
    return sep < 0 ? id : id.substring(0, sep);
  }

  private String bindingWorkerName(TriggerBinding b) {
    Worker owner = b.ownerWorkerId() == null ? null : engine.worker(b.ownerWorkerId()).orElse(null);
    if (owner != null && owner.displayName() != null) {
      return owner.displayName();
    }
    return engine.function(b.functionId()).map(this::workerName).orElseGet(() -> workerName(null, b.functionId()));
  }

  private static String lower(String s) {
    return s == null || s.isEmpty() ? null : s.toLowerCase(Locale.ROOT);
  }

  private static void putIfPresent(ObjectNode node, String field, String value) {
    if (value != null) {
      node.put(field, value);
    }
  }

  private static void putIfPresent(ObjectNode node, String field, JsonNode value) {
    if (value != null && !value.isNull()) {
      node.set(field, value);
    }
  }
}
