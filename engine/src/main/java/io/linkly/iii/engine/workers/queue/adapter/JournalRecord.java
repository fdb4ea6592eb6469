package io.linkly.iii.engine.workers.queue.adapter;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * One entry of the builtin queue's journal. Every record names a message by queue and id and
 * carries the message's {@code version}: replay applies a record only if it is newer than what it
 * has seen for that message, so the order in which concurrent changes reach the file does not
 * matter, and a compacted journal (only {@link Put}s) followed by older stragglers replays to the
 * same state.
 */
sealed interface JournalRecord {

  String queue();

  String id();

  int version();

  /** Where a stored message stands. In-flight messages are stored as {@code READY}. */
  enum State { READY, DELAYED, DEAD }

  /** The whole message and its state: written at enqueue and by compaction. */
  record Put(
      String queue,
      String topic,
      QueueMessage message,
      long seq,
      State state,
      long dueAtMs,
      String error,
      long failedAtMs,
      int version)
      implements JournalRecord {
    @Override
    public String id() {
      return message.id();
    }
  }

  /** Handled successfully: the message is gone. */
  record Ack(String queue, String id, int version) implements JournalRecord {}

  /** Failed; retried at {@code dueAtMs}. */
  record Retry(String queue, String id, int version, int attempts, long dueAtMs, String error) implements JournalRecord {}

  /** Failed for the last time: now a dead letter. */
  record Dead(String queue, String id, int version, int attempts, long failedAtMs, String error) implements JournalRecord {}

  /** A dead letter back in line, behind everything enqueued before {@code seq}, attempts reset. */
  record Redrive(String queue, String id, int version, long seq) implements JournalRecord {}

  /** A dead letter deleted. */
  record Discard(String queue, String id, int version) implements JournalRecord {}

  // ------------------------------------------------------------------ codec

  byte PUT = 1;
  byte ACK = 2;
  byte RETRY = 3;
  byte DEAD = 4;
  byte REDRIVE = 5;
  byte DISCARD = 6;

  static byte[] encode(JournalRecord record) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      switch (record) {
        case Put p -> {
          out.writeByte(PUT);
          head(out, p);
          QueueMessage m = p.message();
          string(out, p.topic());
          string(out, m.functionId());
          string(out, m.group());
          out.writeInt(m.priority() == null ? -1 : m.priority());
          string(out, m.traceparent());
          string(out, m.baggage());
          out.writeLong(m.createdAtMs());
          out.writeInt(m.attempts());
          out.writeLong(p.seq());
          out.writeByte(p.state().ordinal());
          out.writeLong(p.dueAtMs());
          string(out, p.error());
          out.writeLong(p.failedAtMs());
          out.writeInt(m.payload().length);
          out.write(m.payload());
        }
        case Ack a -> {
          out.writeByte(ACK);
          head(out, a);
        }
        case Retry r -> {
          out.writeByte(RETRY);
          head(out, r);
          out.writeInt(r.attempts());
          out.writeLong(r.dueAtMs());
          string(out, r.error());
        }
        case Dead d -> {
          out.writeByte(DEAD);
          head(out, d);
          out.writeInt(d.attempts());
          out.writeLong(d.failedAtMs());
          string(out, d.error());
        }
        case Redrive r -> {
          out.writeByte(REDRIVE);
          head(out, r);
          out.writeLong(r.seq());
        }
        case Discard d -> {
          out.writeByte(DISCARD);
          head(out, d);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("in-memory encoding failed", e);
    }
    return bytes.toByteArray();
  }

  /** Decodes one record; a malformed body is an {@link IOException}. */
  static JournalRecord decode(byte[] body) throws IOException {
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
    try {
      byte type = in.readByte();
      String queue = requiredString(in);
      String id = requiredString(in);
      int version = in.readInt();
      JournalRecord record =
          switch (type) {
            case PUT -> {
              String topic = string(in);
              String function = string(in);
              String group = string(in);
              int priority = in.readInt();
              String traceparent = string(in);
              String baggage = string(in);
              long createdAt = in.readLong();
              int attempts = in.readInt();
              long seq = in.readLong();
              int state = in.readByte();
              long dueAt = in.readLong();
              String error = string(in);
              long failedAt = in.readLong();
              int length = in.readInt();
              if (length < 0 || length > body.length) {
                throw new IOException("bad payload length " + length);
              }
              byte[] payload = in.readNBytes(length);
              if (payload.length != length || state < 0 || state >= State.values().length) {
                throw new IOException("truncated message record");
              }
              QueueMessage message =
                  new QueueMessage(id, function, payload, group, priority < 0 ? null : priority, traceparent, baggage, createdAt, attempts);
              yield new Put(queue, topic, message, seq, State.values()[state], dueAt, error, failedAt, version);
            }
            case ACK -> new Ack(queue, id, version);
            case RETRY -> new Retry(queue, id, version, in.readInt(), in.readLong(), string(in));
            case DEAD -> new Dead(queue, id, version, in.readInt(), in.readLong(), string(in));
            case REDRIVE -> new Redrive(queue, id, version, in.readLong());
            case DISCARD -> new Discard(queue, id, version);
            default -> throw new IOException("unknown record type " + type);
          };
      if (in.available() != 0) {
        throw new IOException("trailing bytes after record type " + type);
      }
      return record;
    } catch (EOFException e) {
      throw new IOException("truncated record", e);
    }
  }

  private static void head(DataOutputStream out, JournalRecord r) throws IOException {
    string(out, r.queue());
    string(out, r.id());
    out.writeInt(r.version());
  }

  private static void string(DataOutputStream out, String s) throws IOException {
    if (s == null) {
      out.writeInt(-1);
      return;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static String string(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length == -1) {
      return null;
    }
    if (length < 0 || length > in.available()) {
      throw new IOException("bad string length " + length);
    }
    return new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private static String requiredString(DataInputStream in) throws IOException {
    String s = string(in);
    if (s == null) {
      throw new IOException("missing queue or id");
    }
    return s;
  }
}
