package io.linkly.iii.engine.workers.state.adapter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One write as the journal keeps it: a put (scope, key, value) or a removal (scope, key). The
 * encoding is made by the writer's own thread, so the single journal thread only copies bytes.
 *
 * <p>Encoding: {@code kind:u8, scope:str, key:str[, value:bytes]} where {@code str} and
 * {@code bytes} are a big-endian u32 length followed by UTF-8 / JSON bytes.
 */
record JournalRecord(byte kind, String scope, String key, JsonNode value, byte[] encoded) {

  static final byte PUT = 1;
  static final byte REMOVE = 2;

  static JournalRecord put(String scope, String key, JsonNode value) throws StateStoreException {
    byte[] json;
    try {
      json = Json.mapper().writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new StateStoreException("value cannot be encoded: " + e.getOriginalMessage(), e);
    }
    return new JournalRecord(PUT, scope, key, value, encode(PUT, scope, key, json));
  }

  static JournalRecord remove(String scope, String key) {
    return new JournalRecord(REMOVE, scope, key, null, encode(REMOVE, scope, key, null));
  }

  void applyTo(StateTable table) {
    if (kind == PUT) {
      table.put(scope, key, value);
    } else {
      table.remove(scope, key);
    }
  }

  private static byte[] encode(byte kind, String scope, String key, byte[] json) {
    byte[] s = scope.getBytes(StandardCharsets.UTF_8);
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    int size = 1 + 4 + s.length + 4 + k.length + (json == null ? 0 : 4 + json.length);
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put(kind).putInt(s.length).put(s).putInt(k.length).put(k);
    if (json != null) {
      out.putInt(json.length).put(json);
    }
    return out.array();
  }

  /** Reads one record at the buffer's position; a malformed record is an IOException. */
  static JournalRecord decode(ByteBuffer in) throws IOException {
    byte kind = in.get();
    if (kind != PUT && kind != REMOVE) {
      throw new IOException("unknown record kind " + kind);
    }
    String scope = new String(bytes(in), StandardCharsets.UTF_8);
    String key = new String(bytes(in), StandardCharsets.UTF_8);
    if (kind == REMOVE) {
      return new JournalRecord(kind, scope, key, null, null);
    }
    byte[] json = bytes(in);
    return new JournalRecord(kind, scope, key, Json.mapper().readTree(json), null);
  }

  private static byte[] bytes(ByteBuffer in) throws IOException {
    if (in.remaining() < 4) {
      throw new IOException("record ends inside a length");
    }
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new IOException("record field of " + length + " bytes overruns its frame");
    }
    byte[] out = new byte[length];
    in.get(out);
    return out;
  }
}
