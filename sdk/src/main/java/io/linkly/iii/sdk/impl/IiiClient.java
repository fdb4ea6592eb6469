package io.linkly.iii.sdk.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.ErrorBody;
import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.protocol.InvocationResult;
import io.linkly.iii.protocol.InvokeFunction;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.Message;
import io.linkly.iii.protocol.Ping;
import io.linkly.iii.protocol.Pong;
import io.linkly.iii.protocol.Reattach;
import io.linkly.iii.protocol.RegisterFunction;
import io.linkly.iii.protocol.RegisterTrigger;
import io.linkly.iii.protocol.RegisterTriggerType;
import io.linkly.iii.protocol.TriggerAction;
import io.linkly.iii.protocol.TriggerRegistrationResult;
import io.linkly.iii.protocol.UnregisterFunction;
import io.linkly.iii.protocol.UnregisterTrigger;
import io.linkly.iii.protocol.UnregisterTriggerType;
import io.linkly.iii.protocol.Uuids;
import io.linkly.iii.protocol.WorkerRegistered;
import io.linkly.iii.sdk.Channel;
import io.linkly.iii.sdk.FunctionDefinition;
import io.linkly.iii.sdk.FunctionHandler;
import io.linkly.iii.sdk.FunctionRef;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.InvocationContext;
import io.linkly.iii.sdk.Logger;
import io.linkly.iii.sdk.TriggerBinding;
import io.linkly.iii.sdk.TriggerConfig;
import io.linkly.iii.sdk.TriggerRef;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.iii.sdk.TriggerTypeHandler;
import io.linkly.iii.sdk.TriggerTypeRef;
import io.linkly.iii.sdk.TypedHandler;
import io.linkly.iii.sdk.WorkerOptions;
import io.linkly.iii.protocol.LocalEngine;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * The worker: keeps what user code registered, replays it on every connection, serves inbound
 * calls on the handler executor and matches results to outbound calls. Inbound messages arrive on
 * the {@link Link}'s delivery thread (the socket's I/O thread, or an in-process engine's threads)
 * and are only dispatched from there; user code never runs on it.
 */
public final class IiiClient implements Iii, LinkListener {

  static final String WORKERS_REGISTER = "engine::workers::register";
  static final String SHUTTING_DOWN = "iii is shutting down";

  private static final org.slf4j.Logger log = LoggerFactory.getLogger(IiiClient.class);

  /** A function served here. */
  private record LocalFunction(RegisterFunction registration, FunctionHandler handler) {}

  /** A trigger type provided here. */
  private record LocalTriggerType(RegisterTriggerType registration, TriggerTypeHandler handler) {}

  /** A binding the engine handed to one of our trigger types, kept for its unregistration. */
  private record ProvidedBinding(String triggerType, TriggerConfig config) {}

  private final WorkerOptions options;
  private final String workerName;
  private final ExecutorService ownedExecutor;
  private final Executor handlers;
  private final OrderedTasks providerTasks;
  private final PendingCalls pending = new PendingCalls();
  private final Link link;
  private final boolean inProcess;
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final AtomicBoolean shutdown = new AtomicBoolean();
  private final Logger defaultLogger;
  private final ChannelRefs channelRefs;

  private final Map<String, LocalTriggerType> triggerTypes = new ConcurrentHashMap<>();
  private final Map<String, LocalFunction> functions = new ConcurrentHashMap<>();
  private final Map<String, RegisterTrigger> bindings = new ConcurrentHashMap<>();
  private final Map<String, ProvidedBinding> provided = new ConcurrentHashMap<>();

  private volatile String workerId;
  private volatile String reattachToken;

  private IiiClient(WorkerOptions options, Function<LinkListener, Link> links, boolean inProcess, String engineUrl) {
    this.options = options;
    this.channelRefs = new ChannelRefs(engineUrl);
    this.inProcess = inProcess;
    this.workerName = WorkerInfo.resolveName(options.workerName());
    if (options.handlerExecutor() != null) {
      this.ownedExecutor = null;
      this.handlers = options.handlerExecutor();
    } else {
      this.ownedExecutor = Executors.newVirtualThreadPerTaskExecutor();
      this.handlers = ownedExecutor;
    }
    this.providerTasks = new OrderedTasks(handlers);
    try {
      this.link = links.apply(this);
    } catch (RuntimeException e) {
      // a bad URL: release the threads made above before reporting it
      if (ownedExecutor != null) {
        ownedExecutor.shutdown();
      }
      throw e;
    }
    this.defaultLogger = new WorkerLogger(workerName, workerName, this);
  }

  /** Creates the worker and starts connecting in the background. */
  public static IiiClient start(String url, WorkerOptions options) {
    return start(url, options, Heartbeat.DEFAULT);
  }

  static IiiClient start(String url, WorkerOptions options, Heartbeat heartbeat) {
    if (url == null) {
      throw new IllegalArgumentException("the engine URL is required");
    }
    URI uri = URI.create(url);
    WorkerOptions resolved = options == null ? WorkerOptions.defaults() : options;
    return started(new IiiClient(resolved, l -> new SocketLink(uri, resolved, heartbeat, l), false, url));
  }

  /** Creates a worker attached to an engine in this JVM; it is registered when this returns. */
  public static IiiClient start(LocalEngine engine, WorkerOptions options) {
    if (engine == null) {
      throw new IllegalArgumentException("an engine is required");
    }
    WorkerOptions resolved = options == null ? WorkerOptions.defaults() : options;
    return started(new IiiClient(resolved, l -> new LocalLink(engine, l), true, engine.workerUrl()));
  }

  private static IiiClient started(IiiClient client) {
    try {
      client.link.start();
    } catch (RuntimeException e) {
      client.shutdown();
      throw e;
    }
    return client;
  }

  // ------------------------------------------------------------------ identity

  @Override
  public CompletableFuture<Void> ready() {
    // a copy, so callers cannot complete the worker's own future
    return ready.copy();
  }

  @Override
  public String workerId() {
    return workerId;
  }

  /** The name reported to the engine. */
  public String workerName() {
    return workerName;
  }

  boolean isShutdown() {
    return shutdown.get();
  }

  /**
   * Whether log lines are also written to this process's own log. An in-process worker's lines are
   * printed by the engine it forwards them to, in this very process, so they are not echoed.
   */
  boolean logsLocally() {
    return !inProcess;
  }

  // ------------------------------------------------------------------ registration

  @Override
  public FunctionRef registerFunction(String id, FunctionHandler handler) {
    return registerFunction(FunctionDefinition.of(id), handler);
  }

  @Override
  public <I> FunctionRef registerFunction(
      String id, Class<I> inputType, TypedHandler<I> handler) {
    if (inputType == null || handler == null) {
      throw new IllegalArgumentException("an input type and a handler are required");
    }
    return registerFunction(
        FunctionDefinition.of(id),
        (data, context) -> {
          I input;
          try {
            input = Json.fromTree(data, inputType);
          } catch (IllegalArgumentException e) {
            throw new IiiException(
                ErrorCodes.DESERIALIZATION_ERROR,
                "Failed to deserialize input for " + id + ": " + e.getMessage());
          }
          return handler.handle(input, context);
        });
  }

  @Override
  public FunctionRef registerFunction(FunctionDefinition definition, FunctionHandler handler) {
    if (definition == null || handler == null) {
      throw new IllegalArgumentException("a function definition and a handler are required");
    }
    requireRunning();
    RegisterFunction registration =
        new RegisterFunction(
            definition.id(),
            definition.description(),
            definition.requestFormat(),
            definition.responseFormat(),
            definition.metadata(),
            null);
    LocalFunction entry = new LocalFunction(registration, handler);
    functions.put(definition.id(), entry);
    link.send(registration);
    return new FunctionRef() {
      @Override
      public String id() {
        return definition.id();
      }

      @Override
      public void unregister() {
        if (functions.remove(definition.id(), entry)) {
          link.send(new UnregisterFunction(definition.id()));
        }
      }
    };
  }

  @Override
  public TriggerRef registerTrigger(TriggerBinding binding) {
    if (binding == null) {
      throw new IllegalArgumentException("a trigger binding is required");
    }
    requireRunning();
    String id = UUID.randomUUID().toString();
    RegisterTrigger registration =
        new RegisterTrigger(
            id,
            binding.type(),
            binding.functionId(),
            orJsonNull(toTree(binding.config(), "trigger config")),
            toTree(binding.metadata(), "trigger metadata"));
    bindings.put(id, registration);
    link.send(registration);
    return new TriggerRef() {
      @Override
      public String id() {
        return id;
      }

      @Override
      public TriggerBinding binding() {
        return binding;
      }

      @Override
      public void unregister() {
        if (bindings.remove(id) != null && !shutdown.get()) {
          link.sendOrQueue(new UnregisterTrigger(id, binding.type()), null);
        }
      }
    };
  }

  @Override
  public TriggerTypeRef registerTriggerType(
      String id, String description, TriggerTypeHandler handler) {
    if (id == null || id.isEmpty() || handler == null) {
      throw new IllegalArgumentException("a trigger type needs an id and a handler");
    }
    requireRunning();
    // the engine drops a registertriggertype without a description
    RegisterTriggerType registration =
        new RegisterTriggerType(id, description == null ? "" : description);
    LocalTriggerType entry = new LocalTriggerType(registration, handler);
    triggerTypes.put(id, entry);
    link.send(registration);
    return new TriggerTypeRef() {
      @Override
      public String id() {
        return id;
      }

      @Override
      public void unregister() {
        if (triggerTypes.remove(id, entry)) {
          provided.values().removeIf(b -> b.triggerType().equals(id));
          link.send(new UnregisterTriggerType(id));
        }
      }
    };
  }

  // ------------------------------------------------------------------ calling

  @Override
  public JsonNode trigger(TriggerRequest request) {
    if (request == null) {
      throw new IllegalArgumentException("a trigger request is required");
    }
    requireRunning();
    if (link.onDeliveryThread()) {
      // the answer would have to be read by this very thread
      throw new IllegalStateException(
          "trigger() blocks and cannot run on the SDK's I/O thread; use triggerAsync()");
    }
    JsonNode data = payloadOf(request);
    JsonNode metadata = toTree(request.metadata(), "metadata");
    if (request.action() instanceof TriggerAction.FireAndForget) {
      link.sendOrQueue(
          new InvokeFunction(
              null, request.functionId(), data, request.action(), metadata, CurrentCall.traceparent(), CurrentCall.baggage()),
          null);
      return null;
    }
    PendingCall call = send(request, data, metadata);
    try {
      // untimed: the call's own timer on the I/O thread ends the wait (see PendingCall)
      return call.future().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pending.abandon(
          call,
          new IiiException(
              IiiException.UNKNOWN,
              "interrupted while waiting for " + request.functionId(),
              null,
              request.functionId()));
      return settled(call);
    } catch (ExecutionException e) {
      throw asIiiException(e.getCause(), request.functionId());
    }
  }

  @Override
  public <T> T trigger(TriggerRequest request, Class<T> resultType) {
    JsonNode result = trigger(request);
    if (result == null) {
      return null;
    }
    try {
      return Json.fromTree(result, resultType);
    } catch (IllegalArgumentException e) {
      throw new IiiException(
          ErrorCodes.DESERIALIZATION_ERROR,
          "Failed to deserialize the result of " + request.functionId() + ": " + e.getMessage(),
          null,
          request.functionId());
    }
  }

  @Override
  public CompletableFuture<JsonNode> triggerAsync(TriggerRequest request) {
    try {
      if (request == null) {
        throw new IllegalArgumentException("a trigger request is required");
      }
      requireRunning();
      JsonNode data = payloadOf(request);
      JsonNode metadata = toTree(request.metadata(), "metadata");
      if (request.action() instanceof TriggerAction.FireAndForget) {
        link.sendOrQueue(
            new InvokeFunction(
                null, request.functionId(), data, request.action(), metadata, CurrentCall.traceparent(), CurrentCall.baggage()),
            null);
        return CompletableFuture.completedFuture(null);
      }
      PendingCall call = send(request, data, metadata);
      CompletableFuture<JsonNode> result = new CompletableFuture<>();
      call.future()
          .whenComplete(
              (value, error) -> {
                // user stages must not run on the I/O thread
                Runnable settle =
                    () -> {
                      if (error != null) {
                        result.completeExceptionally(asIiiException(error, request.functionId()));
                      } else {
                        result.complete(value);
                      }
                    };
                try {
                  handlers.execute(settle);
                } catch (RejectedExecutionException e) {
                  settle.run();
                }
              });
      return result;
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Fire-and-forget call that never throws past the queue bound; used by the logger. */
  void fireAndForget(String functionId, JsonNode data) {
    link.sendOrQueue(
        new InvokeFunction(null, functionId, data, TriggerAction.VOID, null, CurrentCall.traceparent(), CurrentCall.baggageNamingTheFunction()), null);
  }

  private PendingCall send(TriggerRequest request, JsonNode data, JsonNode metadata) {
    UUID id = Uuids.fast();
    Duration timeout = timeoutOf(request);
    PendingCall call =
        pending.open(
            id,
            request.functionId(),
            timeout.toNanos(),
            () -> timeoutError(request.functionId(), timeout));
    long timeoutMs = Math.max(1, timeout.toMillis());
    if (shutdown.get()) {
      // shutdown() may have failed the pending calls just before this one was opened
      pending.abandon(call, new IiiException(IiiException.UNKNOWN, SHUTTING_DOWN));
      throw new IiiException(IiiException.UNKNOWN, SHUTTING_DOWN);
    }
    try {
      link.sendOrQueue(
          new InvokeFunction(
              id,
              request.functionId(),
              data,
              request.action(),
              metadata,
              CurrentCall.traceparent(),
              CurrentCall.baggage(),
              timeoutMs),
          call);
    } catch (RuntimeException e) {
      IiiException failure = asIiiException(e, request.functionId());
      pending.abandon(call, failure);
      throw failure;
    }
    return call;
  }

  /** The outcome of a call that is known to be done: its value, or its failure thrown. */
  private static JsonNode settled(PendingCall call) {
    CompletableFuture<JsonNode> future = call.future();
    if (future.state() == java.util.concurrent.Future.State.SUCCESS) {
      return future.resultNow();
    }
    throw asIiiException(future.exceptionNow(), call.functionId());
  }

  private Duration timeoutOf(TriggerRequest request) {
    return request.timeout() != null ? request.timeout() : options.invocationTimeout();
  }

  private static IiiException timeoutError(String functionId, Duration timeout) {
    return new IiiException(
        ErrorCodes.TIMEOUT,
        "Invocation timeout after " + timeout.toMillis() + "ms: " + functionId,
        null,
        functionId);
  }

  private static IiiException asIiiException(Throwable error, String functionId) {
    Throwable t = error;
    while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof IiiException e) {
      return e;
    }
    return new IiiException(IiiException.UNKNOWN, messageOf(t), stackOf(t), functionId);
  }

  private JsonNode payloadOf(TriggerRequest request) {
    return orJsonNull(treeOf(request.payload(), "payload", true));
  }

  /**
   * {@code value} as a tree to send. The in-process engine keeps a sent tree without copying it,
   * so there the tree must share nothing with what the user may change later: trees the user gave
   * are copied, those built from maps and records here are not.
   */
  JsonNode sendable(Object value) {
    return link.takesTrees() ? Json.ownedTree(value) : Json.toTree(value);
  }

  private JsonNode toTree(Object value, String what) {
    return treeOf(value, what, false);
  }

  /** {@code value} as a tree ({@link #sendable} when {@code sent}); null for null. */
  private JsonNode treeOf(Object value, String what, boolean sent) {
    if (value == null) {
      return null;
    }
    try {
      return sent ? sendable(value) : Json.toTree(value);
    } catch (IllegalArgumentException e) {
      throw new IiiException(
          ErrorCodes.SERIALIZATION_ERROR, "cannot convert the " + what + " to JSON: " + e.getMessage());
    }
  }

  private static JsonNode orJsonNull(JsonNode node) {
    return node == null ? NullNode.instance : node;
  }

  // ------------------------------------------------------------------ logging

  @Override
  public Channel createChannel(int bufferSize) {
    JsonNode made = trigger(TriggerRequest.of("engine::channels::create", Map.of("buffer_size", bufferSize)));
    if (made == null || !made.path("writer").isObject() || !made.path("reader").isObject()) {
      throw new IiiException(ErrorCodes.INVOCATION_FAILED, "engine::channels::create returned no channel refs");
    }
    ObjectNode writerRef = (ObjectNode) made.get("writer");
    ObjectNode readerRef = (ObjectNode) made.get("reader");
    return new Channel(channelRefs.writer(writerRef), channelRefs.reader(readerRef), writerRef, readerRef);
  }

  @Override
  public Logger logger() {
    return defaultLogger;
  }

  @Override
  public Logger logger(String name) {
    return new WorkerLogger(name == null ? workerName : name, workerName, this);
  }

  // ------------------------------------------------------------------ link events

  @Override
  public List<Message> replay() {
    List<Message> messages = new ArrayList<>();
    String previous = workerId;
    if (previous != null) {
      messages.add(new Reattach(previous, reattachToken));
    }
    triggerTypes.values().forEach(t -> messages.add(t.registration()));
    functions.values().forEach(f -> messages.add(f.registration()));
    messages.addAll(bindings.values());
    log.debug("connecting; replaying {} trigger types, {} functions, {} bindings",
        triggerTypes.size(), functions.size(), bindings.size());
    return messages;
  }

  @Override
  public Message announcement() {
    return new InvokeFunction(
        null,
        WORKERS_REGISTER,
        WorkerInfo.payload(workerName, options.description()),
        TriggerAction.VOID,
        null,
        null,
        null);
  }

  @Override
  public void onDisconnected() {
    if (shutdown.get()) {
      return;
    }
    if (inProcess) {
      // nothing will answer these any more, and in-process calls have no local timers
      log.info("the in-process engine stopped");
      pending.failAll(() -> new IiiException(IiiException.UNKNOWN, "the in-process engine stopped"));
    } else {
      log.info("disconnected from the engine; reconnecting");
    }
  }

  @Override
  public void onGaveUp(IiiException reason) {
    if (shutdown.get()) {
      return;
    }
    ready.completeExceptionally(reason);
    pending.failAll(() -> new IiiException(reason.code(), reason.getMessage(), reason.getCause()));
  }

  @Override
  public void onMessage(Message message) {
    switch (message) {
      case InvocationResult m -> pending.complete(m);
      case InvokeFunction m -> onInvoke(m);
      case RegisterTrigger m -> onProvideBinding(m);
      case UnregisterTrigger m -> onWithdrawBinding(m);
      case TriggerRegistrationResult m -> onRegistrationResult(m);
      case WorkerRegistered m -> {
        workerId = m.workerId();
        reattachToken = m.reattachToken();
        log.debug("registered as worker {}", m.workerId());
        ready.complete(null);
      }
      case Ping p -> link.send(Pong.INSTANCE);
      default -> log.debug("ignoring an unexpected {} message", message.type());
    }
  }

  // ------------------------------------------------------------------ serving calls

  private void onInvoke(InvokeFunction m) {
    LocalFunction fn = functions.get(m.functionId());
    if (fn == null) {
      if (m.invocationId() != null) {
        link.send(
            InvocationResult.failure(
                m.invocationId(),
                m.functionId(),
                new ErrorBody(ErrorCodes.FUNCTION_NOT_FOUND, "Function not found")));
      }
      return;
    }
    try {
      handlers.execute(() -> serve(fn, m));
    } catch (RejectedExecutionException e) {
      log.debug("not serving {}: the handler executor is shut down", m.functionId());
    }
  }

  private void serve(LocalFunction fn, InvokeFunction m) {
    InvocationContext context =
        new InvocationContext(
            m.invocationId(),
            m.functionId(),
            m.metadata(),
            m.traceparent(),
            m.baggage(),
            callerOf(m.data()),
            this);
    InvocationResult reply;
    CurrentCall.enter(context);
    try {
      Object value = fn.handler().handle(channelRefs.materialize(m.data()), context);
      JsonNode result;
      try {
        result = value == null ? null : sendable(value);
      } catch (IllegalArgumentException e) {
        throw new IiiException(
            ErrorCodes.SERIALIZATION_ERROR,
            "Failed to serialize the result of " + m.functionId() + ": " + e.getMessage());
      }
      reply =
          new InvocationResult(
              m.invocationId(), m.functionId(), result, null, m.traceparent(), m.baggage());
    } catch (IiiException e) {
      reply = failure(m, e.toErrorBody());
    } catch (Throwable t) {
      if (t instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      reply = failure(m, new ErrorBody(ErrorCodes.INVOCATION_FAILED, messageOf(t), stackOf(t)));
    } finally {
      CurrentCall.leave();
    }
    if (m.invocationId() != null) {
      link.send(reply);
    } else if (reply.error() != null) {
      log.warn("{} failed: {}: {}", m.functionId(), reply.error().code(), reply.error().message());
    }
  }

  private static InvocationResult failure(InvokeFunction m, ErrorBody error) {
    return new InvocationResult(
        m.invocationId(), m.functionId(), null, error, m.traceparent(), m.baggage());
  }

  private static String callerOf(JsonNode data) {
    JsonNode caller = data.get("_caller_worker_id");
    return caller != null && caller.isTextual() ? caller.textValue() : null;
  }

  // ------------------------------------------------------------------ providing trigger types

  private void onProvideBinding(RegisterTrigger m) {
    LocalTriggerType type = triggerTypes.get(m.triggerType());
    if (type == null) {
      link.send(
          new TriggerRegistrationResult(
              m.id(),
              m.triggerType(),
              m.functionId(),
              new ErrorBody(ErrorCodes.TRIGGER_TYPE_NOT_FOUND, "Trigger type not found")));
      return;
    }
    TriggerConfig config =
        new TriggerConfig(m.id(), m.functionId(), nullIfJsonNull(m.config()), m.metadata());
    submitProviderTask(
        m.id(),
        () -> {
          ErrorBody error = null;
          try {
            type.handler().registerTrigger(config);
            provided.put(m.id(), new ProvidedBinding(m.triggerType(), config));
          } catch (Throwable t) {
            log.warn("trigger type {} rejected binding {}: {}", m.triggerType(), m.id(), t.toString());
            error = new ErrorBody(ErrorCodes.TRIGGER_REGISTRATION_FAILED, messageOf(t));
          }
          link.send(new TriggerRegistrationResult(m.id(), m.triggerType(), m.functionId(), error));
        });
  }

  private void onWithdrawBinding(UnregisterTrigger m) {
    submitProviderTask(
        m.id(),
        () -> {
          ProvidedBinding known = provided.remove(m.id());
          String typeId =
              m.triggerType() != null ? m.triggerType() : known != null ? known.triggerType() : null;
          LocalTriggerType type = typeId == null ? null : triggerTypes.get(typeId);
          if (type == null) {
            log.debug("unregistertrigger {} for a trigger type not provided here", m.id());
            return;
          }
          TriggerConfig config =
              known != null ? known.config() : new TriggerConfig(m.id(), "", null, null);
          try {
            type.handler().unregisterTrigger(config);
          } catch (Throwable t) {
            log.warn("trigger type {} failed to unregister {}: {}", typeId, m.id(), t.toString());
          }
        });
  }

  private void submitProviderTask(String bindingId, Runnable task) {
    try {
      providerTasks.submit(bindingId, task);
    } catch (RejectedExecutionException e) {
      log.debug("not running the provider for {}: the handler executor is shut down", bindingId);
    }
  }

  private void onRegistrationResult(TriggerRegistrationResult m) {
    if (m.error() == null) {
      return;
    }
    log.error(
        "[iii] Trigger registration failed for \"{}\" ({}): {}",
        m.id(),
        m.triggerType(),
        m.error().message());
    var listener = options.onTriggerRegistrationError();
    if (listener != null) {
      try {
        handlers.execute(
            () -> {
              try {
                listener.accept(m);
              } catch (RuntimeException e) {
                log.warn("onTriggerRegistrationError listener failed", e);
              }
            });
      } catch (RejectedExecutionException e) {
        // shutting down
      }
    }
  }

  private static JsonNode nullIfJsonNull(JsonNode node) {
    return node == null || node.isNull() ? null : node;
  }

  // ------------------------------------------------------------------ shutdown

  @Override
  public void shutdown() {
    if (!shutdown.compareAndSet(false, true)) {
      return;
    }
    Supplier<IiiException> stopping = () -> new IiiException(IiiException.UNKNOWN, SHUTTING_DOWN);
    ready.completeExceptionally(stopping.get());
    pending.failAll(stopping);
    link.stop();
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
    }
  }

  private void requireRunning() {
    if (shutdown.get()) {
      throw new IiiException(IiiException.UNKNOWN, SHUTTING_DOWN);
    }
  }

  // ------------------------------------------------------------------ helpers

  static String messageOf(Throwable t) {
    String message = t.getMessage();
    return message != null ? message : t.getClass().getName();
  }

  static String stackOf(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    return out.toString();
  }
}
