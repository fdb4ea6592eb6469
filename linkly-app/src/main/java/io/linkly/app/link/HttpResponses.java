package io.linkly.app.link;

import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code {status_code, headers, body}} objects iii-http turns into responses. */
public final class HttpResponses {

  private HttpResponses() {}

  /** A response with these headers; a string body with a non-JSON content type is sent as it is. */
  public static Map<String, Object> of(int status, Map<String, String> headers, Object body) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("status_code", status);
    out.put("headers", headers);
    out.put("body", body);
    return out;
  }

  public static Map<String, Object> json(int status, Object body) {
    return of(status, Map.of("content-type", "application/json"), body);
  }

  public static Map<String, Object> redirect(String location) {
    // A content type with a null body makes iii-http send no body at all.
    return of(302, Map.of("location", location, "content-type", "text/plain; charset=utf-8"), null);
  }
}
