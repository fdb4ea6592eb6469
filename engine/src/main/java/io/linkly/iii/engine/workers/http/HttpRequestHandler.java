package io.linkly.iii.engine.workers.http;

import io.linkly.iii.engine.channels.DataChannels;
import io.linkly.iii.engine.core.RequestTracing;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.net.Listener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
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
 * learns where its requests stopped being served. Each routed request is an {@link Exchange}.
 *
 * <p>A request comes whole (aggregated by {@link BodyLimit}) or as a head followed by its body's
 * chunks, which go to the exchange's {@code request_body} channel as they arrive; reading pauses
 * while that channel is full. A request is done when its answer is out and its body is in: a
 * whole answer waits for the rest of the body (discarded when nobody reads it), so the
 * connection stays in step with the client and the read timeouts still answer 408.
 */
final class HttpRequestHandler extends ChannelInboundHandlerAdapter implements Exchange.Connection {

  private static final Logger log = LoggerFactory.getLogger(HttpRequestHandler.class);

  private record Held(HttpReply reply, Answer answer) {}

  private static final String TRACEPARENT = "traceparent";
  private static final String BAGGAGE = "baggage";

  private final RequestPipeline pipeline;
  /** The worker's settings, read where used: a hot-applied change reaches open connections. */
  private final Supplier<HttpConfig> settings;
  private final DataChannels channels;
  private final ReplyWriter replies;
  /** Heads and body chunks of the requests behind the current one, in arrival order. */
  private final ArrayDeque<HttpObject> waiting = new ArrayDeque<>();
  private int waitingRequests;
  private ChannelHandlerContext ctx;
  /** A request is being served: from its head until its answer is out and its body is in. */
  private boolean busy;
  private boolean answered;
  private boolean bodyOpen;
  /** The client waits for 100 Continue before it sends the body, which it has not been sent. */
  private boolean awaitingContinue;
  private Held held;
  private Exchange exchange;
  /** A request past the pipelining limit arrived: it is answered 429 after the waiting ones. */
  private boolean refused;
  /** An answer that closes the connection went out: nothing after it is served. */
  private boolean closing;
  private boolean draining;
  /** The listener this connection came from was replaced (a port change): close once idle. */
  private boolean retiring;
  /** The client's IP address as text, worked out once per connection. */
  private String clientAddress;

  HttpRequestHandler(RequestPipeline pipeline, Supplier<HttpConfig> settings, DataChannels channels) {
    this.pipeline = pipeline;
    this.settings = settings;
    this.channels = channels;
    this.replies = new ReplyWriter(() -> settings.get().cors());
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HttpObject) || closing || refused) {
      ReferenceCountUtil.release(msg); // past the limit or the end: nothing more is served
      return;
    }
    if (!(msg instanceof HttpRequest)) { // a chunk of a streamed body
      if (waiting.isEmpty() && bodyOpen) {
        bodyChunk((HttpContent) msg);
      } else if (!waiting.isEmpty()) {
        waiting.add((HttpObject) msg); // it belongs to the last waiting request
      } else {
        ReferenceCountUtil.release(msg);
      }
      return;
    }
    if (busy || !waiting.isEmpty()) {
      if (waitingRequests >= settings.get().maxPipelinedRequests()) {
        refused = true;
        ReferenceCountUtil.release(msg);
      } else {
        waiting.add((HttpObject) msg);
        waitingRequests++;
      }
      updateReading();
      return;
    }
    serve((HttpRequest) msg);
    updateReading();
  }

  /** Serves one request; takes its reference. */
  private void serve(HttpRequest request) {
    busy = true;
    answered = false;
    bodyOpen = !(request instanceof LastHttpContent);
    awaitingContinue = bodyOpen && HttpUtil.is100ContinueExpected(request);
    try {
      route(request);
    } finally {
      ReferenceCountUtil.release(request);
    }
  }

  private void route(HttpRequest request) {
    String method = request.method().name().toUpperCase(Locale.ROOT);
    Answer answer = new Answer(HttpUtil.isKeepAlive(request), request.headers().get(HttpHeaderNames.ORIGIN), method.equals("HEAD"));
    if (!request.decoderResult().isSuccess()) {
      // the decoder discards everything after a malformed request: the connection is done
      reply(DecodeFailures.reply(request.decoderResult().cause()), answer.closing());
      return;
    }
    if (bodyOpen && unsupportedExpectation(request)) {
      reply(HttpErrors.expectationFailed(), answer.closing()); // the body may follow or not: start afresh
      return;
    }
    if (request instanceof FullHttpRequest full && ReplyWriter.isPreflight(request)) {
      replies.writePreflight(ctx, full, answer.keepAlive());
      closing |= !answer.keepAlive();
      answered = true;
      settle();
      return;
    }
    RequestTarget target;
    try {
      target = RequestTarget.parse(request.uri());
    } catch (RequestTarget.MalformedTargetException e) {
      reply(HttpErrors.badRequest(e.getMessage()), answer);
      return;
    }
    Optional<RouteTable.Match> match = pipeline.routes().match(method, target.rawSegments(), target.segments());
    if (match.isEmpty() && answer.head()) {
      match = pipeline.routes().match("GET", target.rawSegments(), target.segments()); // HEAD is GET without the body
    }
    if (match.isEmpty()) {
      SortedSet<String> allowed = pipeline.routes().allowedMethods(target.segments());
      HttpReply miss = allowed.isEmpty() ? HttpReply.error(404, "NOT_FOUND", "Not Found", false) : HttpErrors.methodNotAllowed(allowed);
      reply(miss, answer);
      return;
    }
    ByteBuf wholeBody = null;
    byte[] bytes = HttpReply.EMPTY;
    if (request instanceof FullHttpRequest full) {
      boolean empty = !full.content().isReadable(); // the redirect path: nothing to copy or to offer
      wholeBody = empty ? Unpooled.EMPTY_BUFFER : full.content().retainedDuplicate();
      bytes = empty ? HttpReply.EMPTY : ByteBufUtil.getBytes(full.content());
    } else if (awaitingContinue) {
      awaitingContinue = false;
      ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE), ctx.voidPromise());
    }
    long timeoutMs = settings.get().defaultTimeoutMs();
    exchange = Exchange.open(ctx, this, replies, answer, channels, wholeBody);
    String traceparent = request.headers().get(TRACEPARENT);
    RequestTracing.RequestSpan span =
        pipeline.tracing().startHttp(method, match.get().route().pattern(), request.uri(), traceparent, request.headers().get(BAGGAGE));
    RequestPipeline.Incoming incoming =
        new RequestPipeline.Incoming(
            method,
            target.query(),
            headers(request.headers()),
            bytes,
            exchange.requestBodyRef(),
            exchange.responseRef(),
            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs),
            span.traceparent(traceparent),
            request.headers().get(BAGGAGE),
            clientAddress(ctx));
    exchange.start(pipeline.handle(match.get(), incoming), timeoutMs, span);
  }

  /**
   * The peer's IP address (no port), given to handlers as {@code remote_addr}: our addition to
   * upstream's request object, so that a handler can limit or anonymise by client. Null for a
   * channel without an IP peer.
   */
  private String clientAddress(ChannelHandlerContext ctx) {
    if (clientAddress == null && ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress peer && peer.getAddress() != null) {
      clientAddress = peer.getAddress().getHostAddress();
    }
    return clientAddress;
  }

  /** Netty's aggregator answers {@code Expect} for whole bodies; for a streamed one only 100-continue is known. */
  private static boolean unsupportedExpectation(HttpRequest request) {
    String expect = request.headers().get(HttpHeaderNames.EXPECT);
    return expect != null
        && request.protocolVersion().compareTo(HttpVersion.HTTP_1_1) >= 0
        && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect);
  }

  private void bodyChunk(HttpContent chunk) {
    if (!chunk.decoderResult().isSuccess()) {
      chunk.release(); // a broken chunk: the decoder discards what follows, so the connection is done
      ctx.close();
      return;
    }
    boolean last = chunk instanceof LastHttpContent;
    if (exchange != null) {
      exchange.bodyChunk(chunk);
    } else {
      chunk.release(); // answered without an exchange (404 and the like): nobody wants it
    }
    if (last) {
      bodyOpen = false;
      Held answer = held;
      held = null;
      if (answer != null) {
        write(answer.reply(), answer.answer());
      }
      settle();
    }
  }

  // ------------------------------------------------------------------ answers

  @Override
  public void reply(HttpReply reply, Answer answer) {
    answered = true;
    if (bodyOpen && awaitingContinue) {
      // refused before the body was asked for: it may never come, so answer now and start afresh
      write(reply, answer.closing());
      return;
    }
    if (bodyOpen && !closing && answer.keepAlive()) {
      held = new Held(reply, answer);
      updateReading(); // the rest of the body is discarded, at full speed
      return;
    }
    write(reply, answer);
    settle();
  }

  private void write(HttpReply reply, Answer answer) {
    replies.write(ctx, reply, answer);
    closing |= !answer.keepAlive();
  }

  @Override
  public void streamed(Answer answer) {
    answered = true;
    closing |= !answer.keepAlive();
    settle();
  }

  @Override
  public void readingChanged() {
    updateReading();
  }

  /** The current request is done once answered with its body in; the next one waiting is served. */
  private void settle() {
    if (busy && answered && !bodyOpen && held == null) {
      busy = false;
      exchange = null;
      drain();
    }
    closeIfRetiredAndIdle();
    updateReading();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event == Listener.RETIRING) {
      retiring = true;
      closeIfRetiredAndIdle();
      return;
    }
    super.userEventTriggered(ctx, event);
  }

  /** Closes behind the last answer's bytes (a plain close would drop what is not yet written). */
  private void closeIfRetiredAndIdle() {
    if (retiring && !busy && waiting.isEmpty() && !closing) {
      closing = true;
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** Serves waiting requests until one stays busy; answers 429 once none wait past the limit. */
  private void drain() {
    if (draining) {
      return; // serving one from the loop below settled it: the loop goes on
    }
    draining = true;
    try {
      HttpObject next;
      while (!closing && (next = waiting.peek()) != null) {
        if (next instanceof HttpRequest request) {
          if (busy) {
            break;
          }
          waiting.poll();
          waitingRequests--;
          serve(request);
        } else {
          waiting.poll();
          bodyChunk((HttpContent) next); // the chunks of the request just served
        }
      }
      if (!busy && waiting.isEmpty() && refused && !closing) {
        write(HttpErrors.tooManyPipelined(settings.get().maxPipelinedRequests()), new Answer(false, null, false));
      }
    } finally {
      draining = false;
    }
  }

  /** Reads while nobody waits and the current body's channel takes more. */
  private void updateReading() {
    boolean read = !closing && !refused && waiting.isEmpty() && (exchange == null || !exchange.bodyPaused());
    if (ctx.channel().config().isAutoRead() != read) {
      ctx.channel().config().setAutoRead(read);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (exchange != null) {
      exchange.writabilityChanged();
    }
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    waiting.forEach(ReferenceCountUtil::release);
    waiting.clear();
    held = null;
    if (exchange != null) {
      exchange.connectionClosed();
      exchange = null;
    }
    closing = true;
    super.channelInactive(ctx);
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
