package io.linkly.iii.engine.workers.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Aggregates request bodies up to the configured limit; a larger body gets 413 with a JSON error
 * instead of Netty's empty one. Like Netty's own handling, a keep-alive connection stays open (the
 * aggregator discards the rest of the body), so the client can read the answer while it is still
 * sending; otherwise the connection closes after the answer.
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
    FullHttpResponse response =
        Responses.error(ctx.alloc(), HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "PAYLOAD_TOO_LARGE",
            "request body exceeds the limit of " + maxBytes + " bytes", false);
    HttpUtil.setKeepAlive(response, !close);
    var written = ctx.writeAndFlush(response);
    written.addListener(close ? ChannelFutureListener.CLOSE : ChannelFutureListener.CLOSE_ON_FAILURE);
  }
}
