package io.linkly.iii.engine.workers.stream;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.linkly.iii.engine.workers.stream.adapter.StreamChange;
import io.linkly.iii.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One change of a stream group as subscribers see it: upstream's wrapper message
 * {@code {type:"stream", timestamp, streamName, groupId, id, event:{type, data}}} plus two fields
 * of ours, {@code seq} (per group, gap-free) and {@code epoch} (changes when the engine restarts),
 * which let a client resume. The frame is encoded once, as JSON and as a complete WebSocket frame
 * ({@link #wire}), and shared by every subscriber.
 */
record StreamEvent(
    String stream, String group, String itemId, String kind, JsonNode data, long timestamp, long seq, String epoch,
    byte[] frame, ByteBuf wire) {

  static final String CREATE = StreamChange.CREATE;
  static final String UPDATE = StreamChange.UPDATE;
  static final String DELETE = StreamChange.DELETE;
  static final String CUSTOM = StreamChange.EVENT;

  static StreamEvent of(
      String stream, String group, String itemId, String kind, JsonNode data, long timestamp, long seq, String epoch) {
    byte[] frame = encode(stream, group, itemId, kind, data, timestamp, seq, epoch);
    // only numbered changes go to sockets; the unnumbered copy feeds triggers alone
    return new StreamEvent(stream, group, itemId, kind, data, timestamp, seq, epoch, frame, seq >= 0 ? WireFrame.text(frame) : null);
  }

  /** The wrapper as a tree, for {@code stream} trigger handlers. */
  ObjectNode tree() {
    try {
      return (ObjectNode) Json.mapper().readTree(frame);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A frame that is not a change: {@code sync}, {@code resync}, {@code unauthorized} or {@code error}. */
  static byte[] control(String stream, String group, String itemId, String kind, JsonNode data, long timestamp, long seq, String epoch) {
    return encode(stream, group, itemId, kind, data, timestamp, seq, epoch);
  }

  private static byte[] encode(
      String stream, String group, String itemId, String kind, JsonNode data, long timestamp, long seq, String epoch) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    try (JsonGenerator gen = Json.mapper().getFactory().createGenerator(out)) {
      gen.writeStartObject();
      gen.writeStringField("type", "stream");
      gen.writeNumberField("timestamp", timestamp);
      gen.writeStringField("streamName", stream);
      gen.writeStringField("groupId", group);
      gen.writeFieldName("id");
      if (itemId == null) {
        gen.writeNull();
      } else {
        gen.writeString(itemId);
      }
      gen.writeObjectFieldStart("event");
      gen.writeStringField("type", kind);
      if (data != null) {
        // a custom event nests {type, data} under "event"; every other kind carries "data"
        gen.writeFieldName(CUSTOM.equals(kind) ? "event" : "data");
        gen.writeTree(data);
      }
      gen.writeEndObject();
      if (seq >= 0) {
        gen.writeNumberField("seq", seq);
        gen.writeStringField("epoch", epoch);
      }
      gen.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** {@code stream::send}'s custom event: {@code event:{type:"event", event:{type, data}}}. */
  static ObjectNode customPayload(String type, JsonNode data) {
    ObjectNode inner = Json.object();
    inner.put("type", type);
    inner.set("data", data);
    return inner;
  }
}
