package io.linkly.iii.engine.workers.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Aggregates request bodies up to the configured limit; a larger body gets 413 with a JSON error
 * instead of Netty's empty one. Like Netty's own handling, a keep-alive connection stays open (the
 * aggregator discards the rest of the body), so the client can read the answer while it is still
 * sending; otherwise the connection closes after the answer. The same goes for the answers to
 * {@code Expect}: 413 for a declared body over the limit, 417 for an expectation other than
 * {@code 100-continue}, both JSON.
 */
final class BodyLimit extends HttpObjectAggregator {

  private final int maxBytes;

  BodyLimit(int maxBytes) {
    super(maxBytes);
    this.maxBytes = maxBytes;
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
