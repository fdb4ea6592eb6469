package io.linkly.iii.engine.workers.state;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;

/** Calls a function over a raw worker socket and returns the engine's {@code invocationresult} frame. */
final class Wire {

  private Wire() {}

  static JsonNode call(RawWorker worker, String function, String data) throws Exception {
    return worker.call(function, data);
  }

  /** The call's {@code result}; fails the test if the call failed. */
  static JsonNode result(RawWorker worker, String function, String data) throws Exception {
    JsonNode reply = call(worker, function, data);
    if (reply.has("error")) {
      throw new AssertionError(function + " failed: " + reply.get("error"));
    }
    return reply.get("result");
  }

  static JsonNode json(String text) {
    try {
      return Json.mapper().readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(text, e);
    }
  }
}
