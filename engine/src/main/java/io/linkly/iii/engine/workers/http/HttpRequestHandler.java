package io.linkly.iii.engine.workers.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP connection. A connection has at most one request in flight: requests that arrive
 * meanwhile (pipelined in the same read) wait their turn and reading pauses, which keeps
 * responses in request order and bounds the work one client can queue. Each request is bounded
 * by {@code default_timeout} (504, empty body).
 */
final class HttpRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

  private final RequestPipeline pipeline;
  private final HttpConfig config;
  private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
  private ScheduledFuture<?> timeout;
  private long requestSeq;
  private boolean inFlight;

  HttpRequestHandler(RequestPipeline pipeline, HttpConfig config) {
    this.pipeline = pipeline;
    this.config = config;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (inFlight || !waiting.isEmpty()) {
      waiting.add(request.retain());
      ctx.channel().config().setAutoRead(false);
      return;
    }
    serve(ctx, request);
  }

  private void serve(ChannelHandlerContext ctx, FullHttpRequest request) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    String origin = request.headers().get(HttpHeaderNames.ORIGIN);
    if (!request.decoderResult().isSuccess()) {
      write(ctx, HttpReply.error(400, "BAD_REQUEST", "malformed HTTP request", false), false, origin);
      return;
    }
    if (isPreflight(request)) {
      writePreflight(ctx, request, keepAlive);
      return;
    }
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    String method = request.method().name().toUpperCase(Locale.ROOT);
    Optional<RouteTable.Match> match = pipeline.routes().match(method, uri.rawPath());
    if (match.isEmpty()) {
      HttpReply miss =
          pipeline.routes().matchesAnyMethod(uri.rawPath())
              ? HttpReply.empty(405)
              : HttpReply.error(404, "NOT_FOUND", "Not Found", false);
      write(ctx, miss, keepAlive, origin);
      return;
    }
    RequestPipeline.Incoming incoming =
        new RequestPipeline.Incoming(
            method,
            query(uri),
            headers(request.headers()),
            ByteBufUtil.getBytes(request.content()),
            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.defaultTimeoutMs()));

    inFlight = true;
    long seq = ++requestSeq;
    timeout =
        ctx.executor()
            .schedule(() -> finish(ctx, seq, HttpReply.empty(504), keepAlive, origin), config.defaultTimeoutMs(), TimeUnit.MILLISECONDS);
    pipeline
        .handle(match.get(), incoming)
        .whenCompleteAsync(
            (reply, failure) -> {
              HttpReply out = failure != null ? HttpReply.error(500, "INTERNAL_ERROR", "internal server error", true) : reply;
              finish(ctx, seq, out, keepAlive, origin);
            },
            ctx.executor());
  }

  /** Writes the reply of request {@code seq} unless it already got one (timeout vs result). */
  private void finish(ChannelHandlerContext ctx, long seq, HttpReply reply, boolean keepAlive, String origin) {
    if (seq != requestSeq || timeout == null) {
      return;
    }
    timeout.cancel(false);
    timeout = null;
    inFlight = false;
    write(ctx, reply, keepAlive, origin);
    drain(ctx);
  }

  /** Serves waiting requests until one goes asynchronous; resumes reading once none wait. */
  private void drain(ChannelHandlerContext ctx) {
    FullHttpRequest next;
    while (!inFlight && (next = waiting.poll()) != null) {
      try {
        serve(ctx, next);
      } finally {
        next.release();
      }
    }
    if (!inFlight) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    waiting.forEach(FullHttpRequest::release);
    waiting.clear();
    super.channelInactive(ctx);
  }

  private void write(ChannelHandlerContext ctx, HttpReply reply, boolean keepAlive, String origin) {
    FullHttpResponse response = Responses.of(ctx.alloc(), reply);
    cors(response.headers(), origin);
    HttpUtil.setKeepAlive(response, keepAlive);
    var written = ctx.writeAndFlush(response);
    if (!keepAlive) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }

  // ------------------------------------------------------------------ CORS

  private static boolean isPreflight(FullHttpRequest request) {
    return request.method().equals(HttpMethod.OPTIONS)
        && request.headers().contains(HttpHeaderNames.ORIGIN)
        && request.headers().contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
  }

  private void writePreflight(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
    String origin = request.headers().get(HttpHeaderNames.ORIGIN);
    FullHttpResponse response = Responses.of(ctx.alloc(), HttpReply.empty(200));
    HttpHeaders headers = response.headers();
    if (cors(headers, origin)) {
      List<String> methods = config.cors().allowedMethods();
      headers.set(
          HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS,
          methods.isEmpty() ? request.headers().get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD) : String.join(",", methods));
      String asked = request.headers().get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS);
      if (asked != null) {
        headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, asked);
      }
      headers.set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
    }
    HttpUtil.setKeepAlive(response, keepAlive);
    var written = ctx.writeAndFlush(response);
    if (!keepAlive) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** Adds the allow-origin headers when the origin is allowed; permissive by default. */
  private boolean cors(HttpHeaders headers, String origin) {
    HttpConfig.Cors cors = config.cors();
    if (cors.anyOrigin()) {
      headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
      headers.set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, "*");
      return true;
    }
    if (origin != null && cors.allowedOrigins().contains(origin)) {
      headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
      headers.add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ request parts

  /** Decoded query parameters; a repeated key keeps its first value. */
  private static Map<String, String> query(QueryStringDecoder uri) {
    Map<String, String> out = new LinkedHashMap<>();
    uri.parameters().forEach((k, v) -> out.put(k, v.isEmpty() ? "" : v.get(0)));
    return out;
  }

  /** Lower-case header names; repeated headers collapse to the first value. */
  private static Map<String, String> headers(HttpHeaders headers) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> h : headers) {
      out.putIfAbsent(h.getKey().toLowerCase(Locale.ROOT), h.getValue());
    }
    return out;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
