package io.linkly.iii.engine.workers.http;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A request's target split into what routing needs: the path's segments as sent (handlers get
 * path parameters raw, BUILTINS.md §9.3) and decoded (static route segments are compared with
 * these, so {@code /s/%69%69%69} is {@code /s/iii}), and the decoded query. Parsing is strict:
 * a malformed percent-escape anywhere is the client's error, answered with 400 rather than
 * guessed at or, as before, answered by dropping the connection.
 */
record RequestTarget(List<String> rawSegments, List<String> segments, Map<String, String> query) {

  static RequestTarget parse(String uri) throws MalformedTargetException {
    QueryStringDecoder decoder = new QueryStringDecoder(uri);
    List<String> raw = RouteTable.segments(decoder.rawPath());
    List<String> decoded = new ArrayList<>(raw.size());
    for (String segment : raw) {
      try {
        decoded.add(PercentDecoding.decode(segment));
      } catch (PercentDecoding.MalformedEscapeException e) {
        throw new MalformedTargetException("malformed percent-escape in the path: " + e.getMessage());
      }
    }
    Map<String, String> query = new LinkedHashMap<>();
    try {
      // a repeated key keeps its first value (upstream collapses them)
      decoder.parameters().forEach((k, v) -> query.put(k, v.isEmpty() ? "" : v.get(0)));
    } catch (IllegalArgumentException e) {
      throw new MalformedTargetException("malformed percent-escape in the query string");
    }
    return new RequestTarget(List.copyOf(raw), List.copyOf(decoded), query);
  }

  static final class MalformedTargetException extends Exception {
    MalformedTargetException(String message) {
      super(message, null, false, false);
    }
  }
}
