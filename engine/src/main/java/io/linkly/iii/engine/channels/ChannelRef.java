package io.linkly.iii.engine.channels;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.Json;

/**
 * One end of a data channel as it travels inside payloads (PROTOCOL.md §7.1): exactly
 * {@code {"channel_id","access_key","direction"}}, {@code direction} being {@code read} or
 * {@code write}. Whoever holds a ref may attach that end, once.
 */
public record ChannelRef(String channelId, String accessKey, Direction direction) {

  /** Which end of the channel: the producer writes, the consumer reads. */
  public enum Direction {
    READ,
    WRITE;

    public String wire() {
      return this == READ ? "read" : "write";
    }

    /** {@code read} or {@code write}; anything else is null. */
    public static Direction fromWire(String text) {
      if ("read".equals(text)) {
        return READ;
      }
      return "write".equals(text) ? WRITE : null;
    }
  }

  public ObjectNode toJson() {
    ObjectNode ref = Json.object();
    ref.put("channel_id", channelId);
    ref.put("access_key", accessKey);
    ref.put("direction", direction.wire());
    return ref;
  }
}
