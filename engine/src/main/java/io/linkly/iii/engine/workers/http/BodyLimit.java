package io.linkly.iii.engine.workers.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import java.util.Locale;

/**
 * Aggregates the request bodies a handler gets parsed (JSON) or that are empty, up to the
 * configured limit; a larger body gets 413 with a JSON error instead of Netty's empty one. Any
 * other body (CSV, octet-stream, forms, multipart, ...) is not aggregated: its head and chunks pass
 * through as they are decoded, to be streamed into the request's {@code request_body} channel, so
 * an upload of any size costs flat memory. A streamed body has no size limit: the handler reading
 * it paces it, and {@code body_timeout_ms} still cuts off a client that stops sending.
 *
 * <p>Like Netty's own handling of an oversized body, a keep-alive connection stays open (the
 * aggregator discards the rest of the body), so the client can read the answer while it is still
 * sending; otherwise the connection closes after the answer. The same goes for the answers to
 * {@code Expect}: 413 for a declared body over the limit, 417 for an expectation other than
 * {@code 100-continue}, both JSON.
 */
final class BodyLimit extends HttpObjectAggregator {

  private final int maxBytes;

  /** The current request's body passes through (set by its head, until the next head). */
  private boolean streaming;

  BodyLimit(int maxBytes) {
    super(maxBytes);
    this.maxBytes = maxBytes;
  }

  /**
   * Whether a request's body is aggregated: when the handler gets it parsed (a content type that
   * contains {@code application/json}, as upstream) or when there is none. Everything else streams.
   */
  static boolean aggregates(HttpRequest request) {
    if (request instanceof FullHttpRequest || !request.decoderResult().isSuccess()) {
      return true; // a malformed head is answered as before, whole
    }
    if (!HttpUtil.isTransferEncodingChunked(request) && HttpUtil.getContentLength(request, 0L) == 0) {
      return true;
    }
    String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
    return type != null && type.toLowerCase(Locale.ROOT).contains("application/json");
  }

  /**
   * A streamed request's head and chunks are not ours to take. Deciding per head (not per chunk)
   * also keeps the aggregator's own state, such as discarding the rest of an oversized body, out
   * of a streamed request's way.
   */
  @Override
  public boolean acceptInboundMessage(Object msg) throws Exception {
    if (msg instanceof HttpRequest request) {
      streaming = !aggregates(request);
    }
    return !streaming && super.acceptInboundMessage(msg);
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    boolean close = oversized instanceof FullHttpMessage || !HttpUtil.isKeepAlive(oversized);
    FullHttpResponse response = Responses.of(ctx.alloc(), HttpErrors.payloadTooLarge(maxBytes));
    HttpUtil.setKeepAlive(response, !close);
    var written = ctx.writeAndFlush(response);
    written.addListener(close ? ChannelFutureListener.CLOSE : ChannelFutureListener.CLOSE_ON_FAILURE);
  }

  /** Netty decides (100, 413 or 417); a refusal gets our JSON body instead of Netty's empty one. */
  @Override
  protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
    Object decided = super.newContinueResponse(start, maxContentLength, pipeline);
    if (!(decided instanceof FullHttpResponse netty) || netty.status().codeClass() != HttpStatusClass.CLIENT_ERROR) {
      return decided;
    }
    boolean expectationFailed = netty.status().code() == HttpResponseStatus.EXPECTATION_FAILED.code();
    boolean keepAlive = HttpUtil.isKeepAlive(netty);
    netty.release();
    FullHttpResponse ours =
        Responses.of(pipeline.channel().alloc(), expectationFailed ? HttpErrors.expectationFailed() : HttpErrors.payloadTooLarge(maxBytes));
    HttpUtil.setKeepAlive(ours, keepAlive);
    return ours;
  }
}
