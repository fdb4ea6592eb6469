package io.linkly.iii.engine.workers.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.function.Supplier;
import java.util.Map;

/**
 * What every answer gets on its way out, whole or streamed: the CORS headers the config calls for
 * and the keep-alive decision (a connection that will not be kept closes once the answer is out).
 */
final class ReplyWriter {

  /** Read per answer: a CORS change applies to connections already open. */
  private final Supplier<HttpConfig.Cors> cors;

  ReplyWriter(Supplier<HttpConfig.Cors> cors) {
    this.cors = cors;
  }

  /** Writes a whole answer and flushes it. */
  void write(ChannelHandlerContext ctx, HttpReply reply, Answer answer) {
    FullHttpResponse response = answer.head() ? Responses.headOf(ctx.alloc(), reply) : Responses.of(ctx.alloc(), reply);
    send(ctx, response, answer.origin(), answer.keepAlive());
  }

  /**
   * The head of a streamed answer: its body is chunked unless the handler set a Content-Length
   * ({@code empty}: the stream ended before any body, so the length is known to be 0).
   */
  HttpResponse streamHead(int status, List<Map.Entry<String, String>> headers, Answer answer, boolean empty) {
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
    Responses.addHeaders(head.headers(), headers);
    if (!head.headers().contains(HttpHeaderNames.CONTENT_LENGTH) && mayHaveBody(status)) {
      if (empty) {
        head.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
      } else {
        HttpUtil.setTransferEncodingChunked(head, true);
      }
    }
    allowOrigin(head.headers(), answer.origin());
    HttpUtil.setKeepAlive(head, answer.keepAlive());
    return head;
  }

  private static boolean mayHaveBody(int status) {
    return status >= 200 && status != 204 && status != 304;
  }

  static boolean isPreflight(HttpRequest request) {
    return request.method().equals(HttpMethod.OPTIONS)
        && request.headers().contains(HttpHeaderNames.ORIGIN)
        && request.headers().contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
  }

  void writePreflight(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
    String origin = request.headers().get(HttpHeaderNames.ORIGIN);
    FullHttpResponse response = Responses.of(ctx.alloc(), HttpReply.empty(200));
    HttpHeaders headers = response.headers();
    if (allowOrigin(headers, origin)) {
      List<String> methods = cors.get().allowedMethods();
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

  private void send(ChannelHandlerContext ctx, FullHttpResponse response, String origin, boolean keepAlive) {
    allowOrigin(response.headers(), origin);
    HttpUtil.setKeepAlive(response, keepAlive);
    var written = ctx.writeAndFlush(response);
    if (!keepAlive) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** Adds the allow-origin headers when the origin is allowed; permissive by default. */
  private boolean allowOrigin(HttpHeaders headers, String origin) {
    HttpConfig.Cors cors = this.cors.get();
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
}
