package io.linkly.iii.engine.workers.http;

import io.linkly.iii.engine.core.LogSafe;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP connection. A connection has at most one request in flight: requests that arrive
 * meanwhile (pipelined) wait their turn and reading pauses, which keeps responses in request
 * order and bounds the work one client can queue. At most {@code max_pipelined_requests} wait;
 * the first one past that is answered 429 in its turn and the connection closes, so a client
 * learns where its requests stopped being served. Each request is bounded by
 * {@code default_timeout} (504).
 */
final class HttpRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

  private static final Logger log = LoggerFactory.getLogger(HttpRequestHandler.class);

  /** How a request's answer goes out: kept alive or not, CORS for its origin, with a body or not (HEAD). */
  private record Answer(boolean keepAlive, String origin, boolean head) {}

  private final RequestPipeline pipeline;
  private final HttpConfig config;
  private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
  private ScheduledFuture<?> timeout;
  private long requestSeq;
  private boolean inFlight;
  /** A request past the pipelining limit arrived: it is answered 429 after the waiting ones. */
  private boolean refused;

  HttpRequestHandler(RequestPipeline pipeline, HttpConfig config) {
    this.pipeline = pipeline;
    this.config = config;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (refused) {
      return; // already past the limit: nothing after the 429 is served
    }
    if (inFlight || !waiting.isEmpty()) {
      ctx.channel().config().setAutoRead(false);
      if (waiting.size() >= config.maxPipelinedRequests()) {
        refused = true;
      } else {
        waiting.add(request.retain());
      }
      return;
    }
    serve(ctx, request);
  }

  private void serve(ChannelHandlerContext ctx, FullHttpRequest request) {
    String method = request.method().name().toUpperCase(Locale.ROOT);
    Answer answer = new Answer(HttpUtil.isKeepAlive(request), request.headers().get(HttpHeaderNames.ORIGIN), method.equals("HEAD"));
    if (!request.decoderResult().isSuccess()) {
      // the decoder discards everything after a malformed request: the connection is done
      write(ctx, DecodeFailures.reply(request.decoderResult().cause()), new Answer(false, answer.origin(), answer.head()));
      return;
    }
    if (isPreflight(request)) {
      writePreflight(ctx, request, answer.keepAlive());
      return;
    }
    RequestTarget target;
    try {
      target = RequestTarget.parse(request.uri());
    } catch (RequestTarget.MalformedTargetException e) {
      write(ctx, HttpErrors.badRequest(e.getMessage()), answer);
      return;
    }
    Optional<RouteTable.Match> match = pipeline.routes().match(method, target.rawSegments(), target.segments());
    if (match.isEmpty() && answer.head()) {
      match = pipeline.routes().match("GET", target.rawSegments(), target.segments()); // HEAD is GET without the body
    }
    if (match.isEmpty()) {
      SortedSet<String> allowed = pipeline.routes().allowedMethods(target.segments());
      HttpReply miss = allowed.isEmpty() ? HttpReply.error(404, "NOT_FOUND", "Not Found", false) : HttpErrors.methodNotAllowed(allowed);
      write(ctx, miss, answer);
      return;
    }
    RequestPipeline.Incoming incoming =
        new RequestPipeline.Incoming(
            method,
            target.query(),
            headers(request.headers()),
            ByteBufUtil.getBytes(request.content()),
            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.defaultTimeoutMs()));

    inFlight = true;
    long seq = ++requestSeq;
    timeout =
        ctx.executor()
            .schedule(
                () -> finish(ctx, seq, HttpErrors.gatewayTimeout(config.defaultTimeoutMs()), answer),
                config.defaultTimeoutMs(), TimeUnit.MILLISECONDS);
    pipeline
        .handle(match.get(), incoming)
        .whenCompleteAsync(
            (reply, failure) -> {
              HttpReply out = failure != null ? HttpReply.error(500, "INTERNAL_ERROR", "internal server error", true) : reply;
              finish(ctx, seq, out, answer);
            },
            ctx.executor());
  }

  /** Writes the reply of request {@code seq} unless it already got one (timeout vs result). */
  private void finish(ChannelHandlerContext ctx, long seq, HttpReply reply, Answer answer) {
    if (seq != requestSeq || timeout == null) {
      return;
    }
    timeout.cancel(false);
    timeout = null;
    inFlight = false;
    write(ctx, reply, answer);
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
    if (inFlight) {
      return;
    }
    if (refused) {
      write(ctx, HttpErrors.tooManyPipelined(config.maxPipelinedRequests()), new Answer(false, null, false));
    } else {
      ctx.channel().config().setAutoRead(true);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    waiting.forEach(FullHttpRequest::release);
    waiting.clear();
    super.channelInactive(ctx);
  }

  private void write(ChannelHandlerContext ctx, HttpReply reply, Answer answer) {
    FullHttpResponse response = answer.head() ? Responses.headOf(ctx.alloc(), reply) : Responses.of(ctx.alloc(), reply);
    cors(response.headers(), answer.origin());
    HttpUtil.setKeepAlive(response, answer.keepAlive());
    var written = ctx.writeAndFlush(response);
    if (!answer.keepAlive()) {
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

  /** Lower-case header names; repeated headers collapse to the first value. */
  private static Map<String, String> headers(HttpHeaders headers) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> h : headers) {
      out.putIfAbsent(h.getKey().toLowerCase(Locale.ROOT), h.getValue());
    }
    return out;
  }

  /**
   * A reset by the peer, or a connection closed halfway through a body (ours after a 408, or the
   * client's), is routine; anything else is a bug worth a line (escaped: it may quote the wire).
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof java.io.IOException || cause instanceof PrematureChannelClosureException) {
      log.debug("HTTP connection failed: {}", LogSafe.escape(String.valueOf(cause.getMessage())));
    } else {
      log.warn("HTTP connection closed after an unexpected error: {}", LogSafe.escape(String.valueOf(cause)));
    }
    ctx.close();
  }
}
