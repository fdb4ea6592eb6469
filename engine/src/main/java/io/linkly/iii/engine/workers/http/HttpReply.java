package io.linkly.iii.engine.workers.http;

import io.linkly.iii.protocol.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A response decided off the event loop; the handler turns it into Netty objects. */
record HttpReply(int status, List<Map.Entry<String, String>> headers, byte[] body) {

  static final byte[] EMPTY = new byte[0];

  static HttpReply json(int status, Object body) {
    return new HttpReply(
        status, List.of(Map.entry("content-type", "application/json")), Json.write(Json.toTree(body)).getBytes(StandardCharsets.UTF_8));
  }

  HttpReply withHeader(String name, String value) {
    List<Map.Entry<String, String>> more = new ArrayList<>(headers);
    more.add(Map.entry(name, value));
    return new HttpReply(status, List.copyOf(more), body);
  }

  static HttpReply empty(int status) {
    return new HttpReply(status, List.of(), EMPTY);
  }

  /** Upstream's error envelope {@code {"error":{"code","message","error_id"}}}. */
  static HttpReply error(int status, String code, String message, boolean withErrorId) {
    return json(status, envelope(code, message, withErrorId));
  }

  static ObjectNode envelope(String code, String message, boolean withErrorId) {
    ObjectNode root = Json.object();
    ObjectNode error = root.putObject("error");
    error.put("code", code);
    error.put("message", message);
    if (withErrorId) {
      error.put("error_id", Long.toHexString(System.nanoTime() & 0xFFFF_FFFF_FFFFL));
    }
    return root;
  }
}
