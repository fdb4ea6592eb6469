package io.linkly.iii.bench;

import io.linkly.iii.engine.net.Listener;
import io.linkly.iii.engine.net.Transport;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The ceiling for the redirect benchmark: a bare Netty server on the engine's own transport that
 * answers every request with the same 302, doing nothing else. Argument: port (0 = any); prints
 * the bound port.
 */
public final class BareRedirectServer {

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    Transport transport = new Transport(Integer.getInteger("iii.io.threads", 2));
    Listener listener =
        Listener.bind(
            transport,
            "127.0.0.1",
            port,
            ch ->
                ch.pipeline()
                    .addLast(new HttpServerCodec())
                    .addLast(new HttpServerKeepAliveHandler())
                    .addLast(new HttpObjectAggregator(1 << 20))
                    .addLast(new Redirect()));
    System.out.println("bare-redirect listening on http://127.0.0.1:" + listener.port());
    Thread.currentThread().join();
  }

  private static final class Redirect extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      FullHttpResponse response =
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FOUND, Unpooled.EMPTY_BUFFER);
      response.headers().set("location", "https://iii.dev").set("content-length", 0);
      ctx.writeAndFlush(response);
    }
  }
}
