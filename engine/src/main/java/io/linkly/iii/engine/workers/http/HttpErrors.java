package io.linkly.iii.engine.workers.http;

import java.util.Collection;

/**
 * The errors the engine answers on its own, all in upstream's envelope {@code {"error": {code,
 * message}}} so a client parses every failure the same way (upstream sends some of them with an
 * empty body). Messages name the limit that was hit and never anything about the server's files.
 */
final class HttpErrors {

  private HttpErrors() {}

  static HttpReply badRequest(String message) {
    return HttpReply.error(400, "BAD_REQUEST", message, false);
  }

  static HttpReply methodNotAllowed(Collection<String> allowed) {
    return HttpReply.error(405, "METHOD_NOT_ALLOWED", "this path does not serve that method; allowed: " + String.join(", ", allowed), false)
        .withHeader("allow", String.join(", ", allowed));
  }

  static HttpReply requestTimeout(String what, long ms) {
    return HttpReply.error(408, "REQUEST_TIMEOUT", "the request's " + what + " did not arrive within " + ms + " ms", false);
  }

  static HttpReply payloadTooLarge(int maxBytes) {
    return HttpReply.error(413, "PAYLOAD_TOO_LARGE", "request body exceeds the limit of " + maxBytes + " bytes", false);
  }

  static HttpReply uriTooLong(int maxBytes) {
    return HttpReply.error(414, "URI_TOO_LONG", "the request line exceeds the limit of " + maxBytes + " bytes", false);
  }

  static HttpReply expectationFailed() {
    return HttpReply.error(417, "EXPECTATION_FAILED", "the only expectation supported is Expect: 100-continue", false);
  }

  static HttpReply tooManyPipelined(int limit) {
    return HttpReply.error(
        429, "TOO_MANY_PIPELINED_REQUESTS",
        "more than " + limit + " requests were pipelined behind the one in progress; this connection closes, send the rest on a new one",
        false);
  }

  static HttpReply headersTooLarge(int maxBytes) {
    return HttpReply.error(431, "HEADERS_TOO_LARGE", "the request headers exceed the limit of " + maxBytes + " bytes", false);
  }

  static HttpReply gatewayTimeout(long ms) {
    return HttpReply.error(504, "GATEWAY_TIMEOUT", "the request was not answered within " + ms + " ms", false);
  }
}
