package io.linkly.iii.engine.workers.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Map;

/** Netty responses from {@link HttpReply} values; every header value goes through {@link HeaderValues}. */
final class Responses {

  private Responses() {}

  static FullHttpResponse of(ByteBufAllocator alloc, HttpReply reply) {
    return of(alloc, reply, true);
  }

  /**
   * The answer to a HEAD request: the same status and headers as {@code reply}, including the
   * Content-Length of the body that GET would get, and no body (RFC 9110 §9.3.2).
   */
  static FullHttpResponse headOf(ByteBufAllocator alloc, HttpReply reply) {
    return of(alloc, reply, false);
  }

  private static FullHttpResponse of(ByteBufAllocator alloc, HttpReply reply, boolean withBody) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(reply.status()),
            withBody ? alloc.buffer(reply.body().length).writeBytes(reply.body()) : alloc.buffer(0));
    addHeaders(response.headers(), reply.headers());
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
    return response;
  }

  /** A handler's headers, each value as {@link HeaderValues} has it; invalid names are skipped, as upstream does. */
  static void addHeaders(HttpHeaders to, List<Map.Entry<String, String>> headers) {
    for (Map.Entry<String, String> header : headers) {
      String value = HeaderValues.onTheWire(header.getKey(), header.getValue());
      if (value == null) {
        continue;
      }
      try {
        to.add(header.getKey(), value);
      } catch (IllegalArgumentException e) {
        // skipped
      }
    }
  }

}
