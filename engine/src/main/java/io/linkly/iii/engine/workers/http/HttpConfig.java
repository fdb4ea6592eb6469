package io.linkly.iii.engine.workers.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code iii-http} config block (BUILTINS.md §9.1), with our limits added: body size (of the
 * bodies that are aggregated and parsed, JSON; a streamed body has none, its handler paces it),
 * connection timeouts (a client that idles, or sends half a header or body, is cut off; upstream
 * holds it forever) and the depth of pipelining on one connection.
 */
record HttpConfig(
    String host,
    int port,
    long defaultTimeoutMs,
    int maxBodyBytes,
    Timeouts timeouts,
    int maxPipelinedRequests,
    Cors cors,
    List<GlobalMiddleware> middleware) {

  /** The JSON Schema the configuration worker checks this block against. */
  static final String SCHEMA =
      """
      {"type": "object", "additionalProperties": false, "properties": {
        "port": {"type": "integer", "minimum": 0, "maximum": 65535},
        "host": {"type": "string", "minLength": 1},
        "default_timeout": {"type": "integer", "minimum": 1},
        "concurrency_request_limit": {"type": "integer", "minimum": 1},
        "cors": {"type": ["object", "null"], "additionalProperties": false, "properties": {
          "allowed_origins": {"type": "array", "items": {"type": "string"}},
          "allowed_methods": {"type": "array", "items": {"type": "string"}}}},
        "middleware": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["function_id"],
          "properties": {
            "function_id": {"type": "string", "minLength": 1},
            "phase": {"type": "string"},
            "priority": {"type": "integer"}}}},
        "max_body_bytes": {"type": "integer", "minimum": 1},
        "idle_timeout_ms": {"type": "integer", "minimum": 1},
        "header_timeout_ms": {"type": "integer", "minimum": 1},
        "body_timeout_ms": {"type": "integer", "minimum": 1},
        "max_pipelined_requests": {"type": "integer", "minimum": 1}}}
      """;
  static final int DEFAULT_PORT = 3111;
  static final long DEFAULT_IDLE_TIMEOUT_MS = 60_000;
  static final long DEFAULT_HEADER_TIMEOUT_MS = 10_000;
  static final long DEFAULT_BODY_TIMEOUT_MS = 30_000;
  /** With the default body limit, at most 32 MiB of queued requests per connection. */
  static final int DEFAULT_MAX_PIPELINED_REQUESTS = 32;
  /** Longer request lines get 414, larger header blocks 431 (Netty's defaults, named). */
  static final int MAX_REQUEST_LINE_BYTES = 4096;
  static final int MAX_HEADER_BYTES = 8192;
  /** A streamed request body reaches its handler in binary frames of at most this many bytes (the SDKs' frame size). */
  static final int MAX_BODY_CHUNK_BYTES = 64 * 1024;

  /**
   * How long the engine waits for a client: between requests ({@code idle}), for a request's
   * head once its first byte came ({@code header}), and for its whole body after the head
   * ({@code body}).
   */
  record Timeouts(long idleMs, long headerMs, long bodyMs) {}

  /** Allowed origins and methods; empty means any (upstream's permissive default). */
  record Cors(List<String> allowedOrigins, List<String> allowedMethods) {
    boolean anyOrigin() {
      return allowedOrigins.isEmpty() || allowedOrigins.contains("*");
    }
  }

  record GlobalMiddleware(String functionId, int priority) {}

  static HttpConfig fromConfig(WorkerEntry entry) throws ConfigException {
    ConfigBlock c =
        ConfigBlock.of(entry)
            .onlyKeys(Set.of(
                "port", "host", "default_timeout", "concurrency_request_limit", "cors", "middleware", "max_body_bytes",
                "idle_timeout_ms", "header_timeout_ms", "body_timeout_ms", "max_pipelined_requests"));
    c.positive("concurrency_request_limit", 1024); // accepted for compatibility; see HttpWorker
    ConfigBlock cors = c.child("cors").onlyKeys(Set.of("allowed_origins", "allowed_methods"));
    return new HttpConfig(
        c.string("host", "127.0.0.1"),
        c.port("port", DEFAULT_PORT),
        c.positive("default_timeout", 30_000),
        (int) Math.min(Integer.MAX_VALUE - 1, c.positive("max_body_bytes", 1024 * 1024)),
        new Timeouts(
            c.positive("idle_timeout_ms", DEFAULT_IDLE_TIMEOUT_MS),
            c.positive("header_timeout_ms", DEFAULT_HEADER_TIMEOUT_MS),
            c.positive("body_timeout_ms", DEFAULT_BODY_TIMEOUT_MS)),
        (int) Math.min(100_000, c.positive("max_pipelined_requests", DEFAULT_MAX_PIPELINED_REQUESTS)),
        new Cors(strings(cors, "allowed_origins"), upper(strings(cors, "allowed_methods"))),
        middleware(c));
  }

  /** These settings at another address. */
  HttpConfig at(String otherHost, int otherPort) {
    return new HttpConfig(otherHost, otherPort, defaultTimeoutMs, maxBodyBytes, timeouts, maxPipelinedRequests, cors, middleware);
  }

  private static List<String> strings(ConfigBlock block, String key) throws ConfigException {
    JsonNode node = block.node().get(key);
    List<String> out = new ArrayList<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (!node.isArray()) {
      throw new ConfigException(block.path() + "." + key + ": must be a list of strings");
    }
    for (JsonNode item : node) {
      if (!item.isTextual()) {
        throw new ConfigException(block.path() + "." + key + ": must be a list of strings");
      }
      out.add(item.textValue());
    }
    return out;
  }

  private static List<String> upper(List<String> values) {
    return values.stream().map(v -> v.toUpperCase(Locale.ROOT)).toList();
  }

  private static List<GlobalMiddleware> middleware(ConfigBlock c) throws ConfigException {
    JsonNode node = c.node().get("middleware");
    List<GlobalMiddleware> out = new ArrayList<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (!node.isArray()) {
      throw new ConfigException(c.path() + ".middleware: must be a list");
    }
    for (int i = 0; i < node.size(); i++) {
      ConfigBlock item = new ConfigBlock(c.path() + ".middleware[" + i + "]", node.get(i)).onlyKeys(Set.of("function_id", "phase", "priority"));
      String function = item.string("function_id", null);
      if (function == null) {
        throw new ConfigException(item.path() + ".function_id: required");
      }
      String phase = item.string("phase", "preHandler");
      if (phase.equals("preHandler")) {
        out.add(new GlobalMiddleware(function, (int) item.integer("priority", 0)));
      }
    }
    out.sort(Comparator.comparingInt(GlobalMiddleware::priority));
    return List.copyOf(out);
  }
}
