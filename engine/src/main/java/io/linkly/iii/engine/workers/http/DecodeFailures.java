package io.linkly.iii.engine.workers.http;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

/**
 * The answer to a request Netty's decoder could not read: 414 for a request line over the limit,
 * 431 for headers over the limit, else 400. The decoder's own message is not sent: it describes
 * Netty's parser, not the client's mistake.
 */
final class DecodeFailures {

  private DecodeFailures() {}

  static HttpReply reply(Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return HttpErrors.uriTooLong(HttpConfig.MAX_REQUEST_LINE_BYTES);
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return HttpErrors.headersTooLarge(HttpConfig.MAX_HEADER_BYTES);
    }
    return HttpErrors.badRequest("malformed HTTP request");
  }
}
