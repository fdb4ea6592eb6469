package io.linkly.iii.engine.workers.manager;

import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.net.WorkerListener;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.EngineContext;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code iii-worker-manager}: the WebSocket listener SDK workers connect to (default
 * 127.0.0.1:49134). The block may appear several times; each entry is its own listener sharing
 * the one registry.
 */
public final class WorkerManager implements BuiltinWorker {

  private static final Logger log = LoggerFactory.getLogger(WorkerManager.class);
  public static final int DEFAULT_PORT = 49134;

  private final String host;
  private final int configuredPort;
  private final long handshakeTimeoutMs;
  private WorkerListener listener;

  WorkerManager(String host, int port, long handshakeTimeoutMs) {
    this.host = host;
    this.configuredPort = port;
    this.handshakeTimeoutMs = handshakeTimeoutMs;
  }

  public static WorkerManager fromConfig(WorkerEntry entry) throws ConfigException {
    ConfigBlock config =
        ConfigBlock.of(entry)
            .onlyKeys(Set.of("port", "host", "handshake_timeout_ms", "rbac", "middleware_function_id"));
    if (config.has("rbac") || config.has("middleware_function_id")) {
      String key = config.has("rbac") ? "rbac" : "middleware_function_id";
      throw new ConfigException(config.path() + "." + key + ": not supported by this engine yet");
    }
    return new WorkerManager(
        config.string("host", "127.0.0.1"),
        config.port("port", DEFAULT_PORT),
        config.positive("handshake_timeout_ms", 10_000));
  }

  @Override
  public String name() {
    return "iii-worker-manager";
  }

  @Override
  public void start(EngineContext context) {
    listener = WorkerListener.start(context.transport(), context.engine(), host, configuredPort, handshakeTimeoutMs);
    log.info("iii-worker-manager listening on ws://{}:{}", host, listener.port());
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
