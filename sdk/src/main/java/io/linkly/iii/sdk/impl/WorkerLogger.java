package io.linkly.iii.sdk.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.sdk.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs locally through SLF4J and forwards each line, fire-and-forget, to {@code
 * engine::log::<level>} as {@code {message, data?, service_name}}. A line that cannot be forwarded
 * (queue full, shutting down, unmappable data) is still logged locally.
 */
final class WorkerLogger implements Logger {

  private enum Level {
    INFO,
    WARN,
    ERROR,
    DEBUG;

    final String functionId = "engine::log::" + name().toLowerCase(java.util.Locale.ROOT);
  }

  private final org.slf4j.Logger local;
  private final String serviceName;
  private final IiiClient client;

  WorkerLogger(String name, String serviceName, IiiClient client) {
    this.local = LoggerFactory.getLogger(name);
    this.serviceName = serviceName;
    this.client = client;
  }

  @Override
  public void info(String message) {
    log(Level.INFO, message, null);
  }

  @Override
  public void info(String message, Object data) {
    log(Level.INFO, message, data);
  }

  @Override
  public void warn(String message) {
    log(Level.WARN, message, null);
  }

  @Override
  public void warn(String message, Object data) {
    log(Level.WARN, message, data);
  }

  @Override
  public void error(String message) {
    log(Level.ERROR, message, null);
  }

  @Override
  public void error(String message, Object data) {
    log(Level.ERROR, message, data);
  }

  @Override
  public void debug(String message) {
    log(Level.DEBUG, message, null);
  }

  @Override
  public void debug(String message, Object data) {
    log(Level.DEBUG, message, data);
  }

  private void log(Level level, String message, Object data) {
    String text = message == null ? "" : message;
    JsonNode tree = null;
    try {
      tree = data == null ? null : client.sendable(data);
    } catch (RuntimeException e) {
      local.debug("log data is not JSON-mappable: {}", e.toString());
    }
    if (client.logsLocally()) {
      try {
        logLocally(level, text, tree);
      } catch (RuntimeException e) {
        // a broken local backend must not break the caller either
      }
    }
    if (client.isShutdown()) {
      return;
    }
    try {
      ObjectNode payload = Json.object();
      payload.put("message", text);
      if (tree != null && !tree.isNull()) {
        payload.set("data", tree);
      }
      payload.put("service_name", serviceName);
      client.fireAndForget(level.functionId, payload);
    } catch (RuntimeException e) {
      local.debug("log line not forwarded to the engine: {}", e.toString());
    }
  }

  private void logLocally(Level level, String text, JsonNode tree) {
    switch (level) {
      case INFO -> {
        if (local.isInfoEnabled()) {
          local.info(tree == null ? text : text + " " + Json.write(tree));
        }
      }
      case WARN -> {
        if (local.isWarnEnabled()) {
          local.warn(tree == null ? text : text + " " + Json.write(tree));
        }
      }
      case ERROR -> {
        if (local.isErrorEnabled()) {
          local.error(tree == null ? text : text + " " + Json.write(tree));
        }
      }
      case DEBUG -> {
        if (local.isDebugEnabled()) {
          local.debug(tree == null ? text : text + " " + Json.write(tree));
        }
      }
    }
  }
}
