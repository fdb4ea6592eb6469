package io.linkly.iii.engine.core;

import io.linkly.iii.engine.rbac.SessionAccess;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The engine's record of one worker: a connected one (socket or in-process link), or a built-in
 * module (then {@link #connection()} is {@code null}). Identity is the per-connection UUID.
 */
public final class Worker {

  private final String id;
  private final String reattachToken;
  private final Connection connection;
  private final long connectedAtMs;
  private final String builtinName;
  private final SessionAccess access;
  private volatile WorkerMetadata metadata = WorkerMetadata.UNKNOWN;
  private final AtomicBoolean gone = new AtomicBoolean();

  /** Invocations this worker is executing, by the engine's invocation id. */
  final Map<UUID, Invocation> executing = new ConcurrentHashMap<>();

  /** Calls this worker made that still await a result, by the caller's invocation id. */
  final Map<UUID, CompletableFuture<?>> callsInFlight = new ConcurrentHashMap<>();

  /** The function ids this worker registered, so its disconnect can withdraw them. */
  final Set<String> functionIds = ConcurrentHashMap.newKeySet();

  Worker(
      String id, String reattachToken, Connection connection, long connectedAtMs, String builtinName, SessionAccess access) {
    this.id = id;
    this.access = access;
    this.reattachToken = reattachToken;
    this.connection = connection;
    this.connectedAtMs = connectedAtMs;
    this.builtinName = builtinName;
  }

  public String id() {
    return id;
  }

  public String reattachToken() {
    return reattachToken;
  }

  /** What this worker's listener and auth allow it; {@link SessionAccess#OPEN} for most. */
  public SessionAccess access() {
    return access;
  }

  public Connection connection() {
    return connection;
  }

  public long connectedAtMs() {
    return connectedAtMs;
  }

  public boolean isBuiltin() {
    return connection == null;
  }

  public WorkerMetadata metadata() {
    return metadata;
  }

  void metadata(WorkerMetadata metadata) {
    this.metadata = metadata;
  }

  /** The name introspection shows: the reported name, else the module name. */
  public String displayName() {
    if (builtinName != null) {
      return builtinName;
    }
    return metadata.name();
  }

  public int activeInvocations() {
    return executing.size();
  }

  public boolean isGone() {
    return gone.get();
  }

  /** True exactly once: for the caller that runs the disconnect cleanup. */
  boolean markGone() {
    return gone.compareAndSet(false, true);
  }

  /** For log lines: the id plus the reported name, both escaped. */
  public String describe() {
    String name = displayName();
    return name == null ? id : LogSafe.escape(name) + " (" + id + ")";
  }
}
