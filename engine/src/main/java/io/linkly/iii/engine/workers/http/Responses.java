package io.linkly.iii.engine.workers.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Map;

/** Netty responses from {@link HttpReply} values. */
final class Responses {

  private Responses() {}

  static FullHttpResponse of(ByteBufAllocator alloc, HttpReply reply) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(reply.status()),
            alloc.buffer(reply.body().length).writeBytes(reply.body()));
    for (Map.Entry<String, String> header : reply.headers()) {
      try {
        response.headers().add(header.getKey(), header.getValue());
      } catch (IllegalArgumentException e) {
        // invalid header names or values are skipped, as upstream does
      }
    }
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
    return response;
  }

  static FullHttpResponse error(ByteBufAllocator alloc, HttpResponseStatus status, String code, String message, boolean withErrorId) {
    return of(alloc, HttpReply.error(status.code(), code, message, withErrorId));
  }
}
