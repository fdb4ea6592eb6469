package io.linkly.iii.engine.workers.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.channels.ChannelRef;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.RequestTracing;
import io.linkly.iii.engine.core.Router;
import io.linkly.iii.protocol.ErrorBody;
import io.linkly.iii.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * What happens to a routed request (BUILTINS.md §9.5): global middleware, the condition,
 * per-route middleware, then the handler; and how the handler's result becomes a response
 * (§9.4). Everything is asynchronous; nothing here touches Netty.
 */
final class RequestPipeline {

  private final Engine engine;
  private final RouteTable routes;
  /** The worker's settings, read per request: middleware and timeout changes apply at once. */
  private final Supplier<HttpConfig> settings;

  RequestPipeline(Engine engine, RouteTable routes, Supplier<HttpConfig> settings) {
    this.engine = engine;
    this.routes = routes;
    this.settings = settings;
  }

  RouteTable routes() {
    return routes;
  }

  /** Spans around requests: the engine's, read per request (tracing may start after this worker). */
  RequestTracing tracing() {
    return engine.requestTracing();
  }

  /**
   * A request as the handler sees it. {@code body} holds the bytes of an aggregated (JSON) body
   * and is empty for a streamed one; {@code requestBody} and {@code response} are the refs of the
   * request's two channels (BUILTINS.md §9.3). {@code deadlineNanos} ({@link System#nanoTime()}
   * based) is when the request times out (504): every call made for it carries what is left, so
   * the engine abandons them at that moment too. Every call also carries the request's trace
   * context: its span's when tracing is on, else the client's {@code traceparent} and
   * {@code baggage} headers (null when it sent none).
   */
  record Incoming(
      String method,
      Map<String, String> query,
      Map<String, String> headers,
      byte[] body,
      ChannelRef requestBody,
      ChannelRef response,
      long deadlineNanos,
      String traceparent,
      String baggage,
      String remoteAddress) {

    Call bounded(Call call) {
      Call traced = traceparent == null && baggage == null ? call : call.withTrace(traceparent, baggage);
      return traced.withTimeout((deadlineNanos - System.nanoTime()) / 1_000_000);
    }
  }

  /**
   * The answer to a routed request; null when the handler returned no result, which means it
   * streams its answer over the {@code response} channel (BUILTINS.md §9.4).
   */
  CompletableFuture<HttpReply> handle(RouteTable.Match match, Incoming in) {
    HttpBinding binding = match.route().binding();
    ObjectNode request = requestObject(match, in);
    CompletableFuture<HttpReply> flow = middleware(globalIds(), 0, request, in);
    return flow.thenCompose(
        early -> {
          if (early != null) {
            return CompletableFuture.completedFuture(early);
          }
          return condition(binding, request, in)
              .thenCompose(
                  skip -> {
                    if (skip != null) {
                      return CompletableFuture.completedFuture(skip);
                    }
                    return middleware(binding.middlewareFunctionIds(), 0, request, in)
                        .thenCompose(respond -> respond != null ? CompletableFuture.completedFuture(respond) : call(binding, request, in));
                  });
        });
  }

  private List<String> globalIds() {
    List<String> ids = new ArrayList<>();
    settings.get().middleware().forEach(m -> ids.add(m.functionId()));
    return ids;
  }

  private ObjectNode requestObject(RouteTable.Match match, Incoming in) {
    ObjectNode request = Json.object();
    ObjectNode query = request.putObject("query_params");
    in.query().forEach(query::put);
    ObjectNode params = request.putObject("path_params");
    match.pathParams().forEach(params::put);
    ObjectNode headers = request.putObject("headers");
    in.headers().forEach(headers::put);
    request.put("path", match.route().pattern());
    request.put("method", in.method());
    request.put("remote_addr", in.remoteAddress());
    parseBody(in, request);
    request.set("request_body", in.requestBody().toJson());
    request.set("response", in.response().toJson());
    request.putObject("trigger").put("type", "http").put("path", match.route().pattern()).put("method", in.method());
    return request;
  }

  /**
   * Sets {@code body}: parsed only for JSON content types; empty or invalid JSON reads as null, as
   * upstream. Invalid JSON also sets {@code body_error} (our addition, ignored by upstream's
   * handlers), because a null body alone cannot tell "you sent no body" from "your JSON is
   * broken" and a handler should be able to say which.
   */
  private static void parseBody(Incoming in, ObjectNode request) {
    request.set("body", Json.mapper().nullNode());
    String type = in.headers().getOrDefault("content-type", "");
    if (in.body().length == 0 || !type.toLowerCase(Locale.ROOT).contains("application/json")) {
      return;
    }
    try {
      JsonNode node = Json.mapper().readTree(in.body());
      if (node != null) {
        request.set("body", node);
      }
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
      request.put("body_error", "request body is not valid JSON: " + e.getOriginalMessage() + where);
    } catch (java.io.IOException e) {
      request.put("body_error", "request body is not valid JSON");
    }
  }

  /** Runs middleware in order; a {@code respond} action short-circuits with its response. */
  private CompletableFuture<HttpReply> middleware(List<String> ids, int index, ObjectNode request, Incoming in) {
    if (index >= ids.size()) {
      return CompletableFuture.completedFuture(null);
    }
    ObjectNode input = Json.object();
    input.put("phase", "preHandler");
    ObjectNode view = input.putObject("request");
    view.set("path_params", request.get("path_params"));
    view.set("query_params", request.get("query_params"));
    view.set("headers", request.get("headers"));
    view.set("method", request.get("method"));
    view.set("remote_addr", request.get("remote_addr"));
    input.putObject("context");
    return engine
        .invoke(in.bounded(Call.of(ids.get(index), input)))
        .handle(
            (result, failure) -> {
              if (failure != null) {
                return failed(failure);
              }
              if (result != null && "respond".equals(result.path("action").asText())) {
                JsonNode response = result.path("response");
                return toReply(response.isObject() ? response : Json.object(), true);
              }
              return null;
            })
        .thenCompose(reply -> reply != null ? CompletableFuture.completedFuture(reply) : middleware(ids, index + 1, request, in));
  }

  /**
   * Only a literal {@code false} skips the handler (422); an error is a 500. The condition sees the
   * request without its channel refs, as upstream: the channels are the handler's.
   */
  private CompletableFuture<HttpReply> condition(HttpBinding binding, ObjectNode request, Incoming in) {
    if (binding.conditionFunctionId() == null) {
      return CompletableFuture.completedFuture(null);
    }
    ObjectNode input = request.deepCopy();
    input.remove("request_body");
    input.remove("response");
    return engine
        .invoke(in.bounded(Call.of(binding.conditionFunctionId(), input, binding.metadata())))
        .handle(
            (result, failure) -> {
              if (failure != null) {
                return failed(failure);
              }
              if (result != null && result.isBoolean() && !result.booleanValue()) {
                ObjectNode body = HttpReply.envelope("CONDITION_NOT_MET", "condition function returned false", false);
                body.put("skipped", true);
                return HttpReply.json(422, body);
              }
              return null;
            });
  }

  private CompletableFuture<HttpReply> call(HttpBinding binding, ObjectNode request, Incoming in) {
    return engine
        .invoke(in.bounded(Call.of(binding.functionId(), request, binding.metadata())))
        .handle(
            (result, failure) -> {
              if (failure != null) {
                return failed(failure);
              }
              return result == null || result.isNull() ? null : toReply(result, false);
            });
  }

  /** A call that failed: 504 when the request's deadline passed, else the error as a 500. */
  private HttpReply failed(Throwable failure) {
    ErrorBody error = InvocationException.bodyOf(failure);
    if (Router.INVOCATION_TIMEOUT.equals(error.code())) {
      return HttpErrors.gatewayTimeout(settings.get().defaultTimeoutMs());
    }
    return HttpReply.error(500, error.code(), error.message(), true);
  }

  /**
   * Maps a handler's {@code {status_code, headers, body}} to bytes (BUILTINS.md §9.4). For a
   * middleware {@code respond}, a missing body is null rather than {@code {}}.
   */
  static HttpReply toReply(JsonNode result, boolean middlewareResponse) {
    int status = 200;
    JsonNode code = result.get("status_code");
    if (code != null && code.canConvertToInt() && code.isIntegralNumber() && code.intValue() >= 100 && code.intValue() <= 599) {
      status = code.intValue();
    }
    List<Map.Entry<String, String>> headers = headers(result.get("headers"));
    String contentType = null;
    for (Map.Entry<String, String> h : headers) {
      if (h.getKey().equalsIgnoreCase("content-type")) {
        contentType = h.getValue();
      }
    }
    JsonNode body = result.isObject() ? result.get("body") : null;
    if (body == null) {
      body = middlewareResponse ? Json.mapper().nullNode() : Json.object();
    }
    byte[] bytes;
    if (contentType != null && body.isTextual()) {
      bytes = body.textValue().getBytes(StandardCharsets.UTF_8);
    } else if (contentType != null && body.isNull()) {
      bytes = HttpReply.EMPTY;
    } else if (contentType != null && !contentType.toLowerCase(Locale.ROOT).contains("json")) {
      bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
    } else {
      bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
      if (contentType == null) {
        headers.add(Map.entry("content-type", "application/json"));
      }
    }
    return new HttpReply(status, headers, bytes);
  }

  private static List<Map.Entry<String, String>> headers(JsonNode node) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (node.isObject()) {
      node.fields().forEachRemaining(e -> out.add(Map.entry(e.getKey(), e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString())));
    } else if (node.isArray()) {
      for (JsonNode line : node) {
        String text = line.asText();
        int colon = text.indexOf(':');
        if (colon > 0) {
          out.add(Map.entry(text.substring(0, colon).trim(), text.substring(colon + 1).trim()));
        }
      }
    }
    return out;
  }
}
