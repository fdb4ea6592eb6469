package io.linkly.iii.engine.workers.manager;

import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.RouterSettings;
import io.linkly.iii.engine.net.SocketLimits;
import io.linkly.iii.engine.net.WorkerListener;
import io.linkly.iii.engine.rbac.ListenerPolicy;
import io.linkly.iii.engine.rbac.RbacConfig;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.EngineContext;
import io.linkly.iii.engine.workers.StartupException;
import java.net.BindException;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code iii-worker-manager}: the WebSocket listener SDK workers connect to (default
 * 127.0.0.1:49134). The block may appear several times; each entry is its own listener sharing
 * the one registry, and may carry its own {@code rbac} block and {@code middleware_function_id}
 * (PROTOCOL.md §9).
 */
public final class WorkerManager implements BuiltinWorker {

  private static final Logger log = LoggerFactory.getLogger(WorkerManager.class);
  public static final int DEFAULT_PORT = 49134;

  private final String host;
  private final int configuredPort;
  /** Where the port was configured, such as {@code workers[0].config.port}, for a refused bind. */
  private final String portKey;
  private final long handshakeTimeoutMs;
  private final RouterSettings routerSettings;
  private final SocketLimits socketLimits;
  private final ListenerPolicy policy;
  private WorkerListener listener;

  WorkerManager(
      String host,
      int port,
      String portKey,
      long handshakeTimeoutMs,
      RouterSettings routerSettings,
      SocketLimits socketLimits,
      ListenerPolicy policy) {
    this.policy = policy;
    this.host = host;
    this.configuredPort = port;
    this.portKey = portKey;
    this.handshakeTimeoutMs = handshakeTimeoutMs;
    this.routerSettings = routerSettings;
    this.socketLimits = socketLimits;
  }

  public static WorkerManager fromConfig(WorkerEntry entry) throws ConfigException {
    ConfigBlock config =
        ConfigBlock.of(entry)
            .onlyKeys(
                Set.of(
                    "port", "host", "handshake_timeout_ms", "rbac", "middleware_function_id",
                    "invocation_timeout_ms", "max_invocations_per_worker", "max_buffered_bytes",
                    "slow_worker_grace_ms"));
    ListenerPolicy policy =
        new ListenerPolicy(
            config.has("rbac") ? RbacConfig.fromConfig(config.child("rbac")) : null,
            config.string("middleware_function_id", null));
    long maxBuffered = config.positive("max_buffered_bytes", SocketLimits.DEFAULTS.maxBufferedBytes());
    if (maxBuffered > Integer.MAX_VALUE) {
      throw new ConfigException(config.path() + ".max_buffered_bytes: at most " + Integer.MAX_VALUE);
    }
    long maxInvocations =
        config.positive("max_invocations_per_worker", RouterSettings.DEFAULT_MAX_INVOCATIONS_PER_WORKER);
    if (maxInvocations > 1_000_000) {
      throw new ConfigException(config.path() + ".max_invocations_per_worker: at most 1000000");
    }
    return new WorkerManager(
        config.string("host", "127.0.0.1"),
        config.port("port", DEFAULT_PORT),
        config.path() + ".port",
        config.positive("handshake_timeout_ms", 10_000),
        new RouterSettings(
            config.positive("invocation_timeout_ms", RouterSettings.DEFAULT_INVOCATION_TIMEOUT_MS), (int) maxInvocations),
        new SocketLimits(
            maxBuffered,
            config.positive("slow_worker_grace_ms", SocketLimits.DEFAULTS.graceMs()),
            Math.max(SocketLimits.DEFAULTS.hardLimitBytes(), maxBuffered)),
        policy);
  }

  /** The engine-wide call bounds; the first listener's settings apply to all. */
  public RouterSettings routerSettings() {
    return routerSettings;
  }

  @Override
  public String name() {
    return "iii-worker-manager";
  }

  @Override
  public void start(EngineContext context) throws StartupException {
    try {
      listener =
          WorkerListener.start(
              context.transport(),
              context.engine(),
              context.channels(),
              host,
              configuredPort,
              handshakeTimeoutMs,
              socketLimits,
              policy,
              context.blocking());
    } catch (BindException e) {
      throw StartupException.cannotListen(name(), host, configuredPort, portKey, e);
    }
    log.info(
        "iii-worker-manager listening on ws://{}:{}{}",
        host,
        listener.port(),
        policy.isOpen() ? "" : policy.authFunctionId() != null ? " (auth: " + policy.authFunctionId() + ")" : " (rbac)");
    context.engine().registerHealthCheck("listener:iii-worker-manager:" + listener.port(), listener::health);
  }

  @Override
  public int port() {
    return listener == null ? 0 : listener.port();
  }

  public String host() {
    return host;
  }

  @Override
  public void close() {
    if (listener != null) {
      listener.close();
    }
  }
}
