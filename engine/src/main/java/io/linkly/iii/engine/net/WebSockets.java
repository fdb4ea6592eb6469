package io.linkly.iii.engine.net;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import java.nio.charset.StandardCharsets;

/** WebSocket upgrade and plain HTTP replies shared by the engine's socket listeners. */
public final class WebSockets {

  /** Upstream accepts messages up to 64 MiB (tungstenite's default); so do we. */
  public static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

  private WebSockets() {}

  /** Fired at the socket's handler once the upgrade response is on the wire. */
  public static final Object OPENED = new Object() {
    @Override
    public String toString() {
      return "websocket-opened";
    }
  };

  /**
   * Completes the upgrade for {@code request}, then replaces the HTTP handlers with a frame
   * aggregator and {@code handler}, which receives {@link #OPENED} as a user event when the
   * upgrade response has been written. Compression is not negotiated (upstream declines it too).
   */
  public static boolean upgrade(ChannelHandlerContext ctx, FullHttpRequest request, String name, ChannelHandler handler) {
    return upgrade(ctx, request, pipeline -> pipeline.addLast(name, handler));
  }

  /** As above, with {@code handlers} adding any number of handlers after the frame aggregator. */
  public static boolean upgrade(
      ChannelHandlerContext ctx, FullHttpRequest request, java.util.function.Consumer<ChannelPipeline> handlers) {
    String location = "ws://" + request.headers().get(HttpHeaderNames.HOST, "localhost") + request.uri();
    WebSocketDecoderConfig decoder =
        WebSocketDecoderConfig.newBuilder()
            .maxFramePayloadLength(MAX_MESSAGE_BYTES)
            .allowExtensions(false)
            .allowMaskMismatch(true)
            .build();
    WebSocketServerHandshakerFactory factory = new WebSocketServerHandshakerFactory(location, null, decoder);
    WebSocketServerHandshaker handshaker = factory.newHandshaker(request);
    if (handshaker == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
      return false;
    }
    // The handlers go in first: on the event loop the upgrade response may be flushed, and its
    // listener run, before handshake() even returns.
    ChannelPipeline pipeline = ctx.pipeline();
    pipeline.addLast("ws-aggregator", new WebSocketFrameAggregator(MAX_MESSAGE_BYTES));
    handlers.accept(pipeline);
    handshaker
        .handshake(ctx.channel(), request)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (f.isSuccess()) {
                    f.channel().pipeline().fireUserEventTriggered(OPENED);
                  } else {
                    f.channel().close();
                  }
                });
    return true;
  }

  public static boolean isUpgrade(FullHttpRequest request) {
    return request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
        && request.headers().contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
  }

  public static void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status, String text) {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, ctx.alloc().buffer(body.length).writeBytes(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    HttpUtil.setContentLength(response, body.length);
    boolean keepAlive = HttpUtil.isKeepAlive(request) && !isUpgrade(request);
    HttpUtil.setKeepAlive(response, keepAlive);
    var write = ctx.writeAndFlush(response);
    if (!keepAlive) {
      write.addListener(ChannelFutureListener.CLOSE);
    }
  }
}
