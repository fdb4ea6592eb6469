package io.linkly.app.link;

import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code {status_code, headers, body}} objects iii-http turns into responses. */
public final class HttpResponses {

  private HttpResponses() {}

  public static Map<String, Object> json(int status, Object body) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("status_code", status);
    out.put("headers", Map.of("content-type", "application/json"));
    out.put("body", body);
    return out;
  }

  public static Map<String, Object> redirect(String location) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("status_code", 302);
    // A content type with a null body makes iii-http send no body at all.
    out.put("headers", Map.of("location", location, "content-type", "text/plain; charset=utf-8"));
    out.put("body", null);
    return out;
  }
}
