package io.linkly.app.link;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A stored link: its code, target, when it was made, its limits, and how many people its click
 * limit has let through so far ({@code visits}, counted only while it has one).
 */
public record Link(String code, String url, String createdAt, LinkLimits limits, long visits) {

  /** Its JSON shape: code, url, created_at, then the limits that are set (and visits when limited). */
  public Map<String, Object> toJson() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("code", code);
    out.put("url", url);
    out.put("created_at", createdAt);
    limits.putInto(out);
    if (limits.maxClicks() != null) {
      out.put("visits", visits);
    }
    return out;
  }

  /** What the {@code links} cache holds and {@code link::resolve} answers: the target and its limits. */
  Map<String, Object> resolved() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("url", url);
    limits.putInto(out);
    return out;
  }
}
