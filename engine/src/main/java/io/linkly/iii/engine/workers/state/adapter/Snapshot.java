package io.linkly.iii.engine.workers.state.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A compacted copy of the whole store: {@code [magic][body][u64 body length][u32 crc32c(body)]}.
 * The body is {@code u32 scopes}, then per scope {@code str name, u32 entries}, then per entry
 * {@code str key, bytes json}, all in insertion order. A snapshot is written to a temporary file,
 * forced, and renamed into place, so one under its final name is always complete; one that does
 * not check out is damage, and the start fails rather than guess.
 */
final class Snapshot {

  static final byte[] MAGIC = "IIISNAP1".getBytes(StandardCharsets.US_ASCII);
  private static final int TRAILER_BYTES = 12;

  /** Receives each entry of a snapshot as it is read. */
  @FunctionalInterface
  interface EntrySink {
    void accept(String scope, String key, JsonNode value);
  }

  private Snapshot() {}

  /** Writes {@code scopes} durably to {@code target} (via {@code target}.tmp); returns the file size. */
  static long write(Path target, Map<String, List<Map.Entry<String, JsonNode>>> scopes) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    long size;
    try (FileChannel channel =
        FileChannel.open(
            tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      Journal.writeFully(channel, ByteBuffer.wrap(MAGIC), 0);
      channel.position(MAGIC.length);
      CRC32C crc = new CRC32C();
      CountingOutputStream counted = new CountingOutputStream(Channels.newOutputStream(channel));
      DataOutputStream out =
          new DataOutputStream(new BufferedOutputStream(new CheckedOutputStream(counted, crc), 64 * 1024));
      out.writeInt(scopes.size());
      for (Map.Entry<String, List<Map.Entry<String, JsonNode>>> scope : scopes.entrySet()) {
        writeBytes(out, scope.getKey().getBytes(StandardCharsets.UTF_8));
        out.writeInt(scope.getValue().size());
        for (Map.Entry<String, JsonNode> entry : scope.getValue()) {
          writeBytes(out, entry.getKey().getBytes(StandardCharsets.UTF_8));
          writeBytes(out, Json.mapper().writeValueAsBytes(entry.getValue()));
        }
      }
      out.flush();
      long bodyLength = counted.count;
      ByteBuffer trailer = ByteBuffer.allocate(TRAILER_BYTES).putLong(bodyLength).putInt((int) crc.getValue()).flip();
      Journal.writeFully(channel, trailer, MAGIC.length + bodyLength);
      channel.force(true);
      size = MAGIC.length + bodyLength + TRAILER_BYTES;
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    return size;
  }

  /** Reads every entry of {@code file} into {@code sink}; any damage fails with the file named. */
  static long read(Path file, EntrySink sink) throws StateStoreException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < MAGIC.length + TRAILER_BYTES) {
        throw corrupt(file, "only " + size + " bytes");
      }
      ByteBuffer magic = ByteBuffer.allocate(MAGIC.length);
      Journal.readFully(channel, magic, 0);
      if (!Arrays.equals(magic.array(), MAGIC)) {
        throw corrupt(file, "not a state snapshot (bad magic)");
      }
      ByteBuffer trailer = ByteBuffer.allocate(TRAILER_BYTES);
      Journal.readFully(channel, trailer, size - TRAILER_BYTES);
      long bodyLength = trailer.getLong(0);
      int expectedCrc = trailer.getInt(8);
      if (bodyLength != size - MAGIC.length - TRAILER_BYTES) {
        throw corrupt(file, "body length " + bodyLength + " does not match the file size " + size);
      }
      channel.position(MAGIC.length);
      CRC32C crc = new CRC32C();
      Bounded body = new Bounded(Channels.newInputStream(channel), bodyLength);
      DataInputStream in = new DataInputStream(new BufferedInputStream(new CheckedInputStream(body, crc), 64 * 1024));
      try {
        int scopeCount = in.readInt();
        for (int s = 0; s < scopeCount; s++) {
          String scope = new String(readBytes(in, body), StandardCharsets.UTF_8);
          int entries = in.readInt();
          for (int e = 0; e < entries; e++) {
            String key = new String(readBytes(in, body), StandardCharsets.UTF_8);
            byte[] json = readBytes(in, body);
            sink.accept(scope, key, Json.mapper().readTree(json));
          }
        }
        if (in.read() != -1) {
          throw corrupt(file, "unexpected bytes after the last entry");
        }
      } catch (EOFException e) {
        throw corrupt(file, "body ends early");
      } catch (IOException e) {
        throw corrupt(file, "undecodable entry (" + e.getMessage() + ")");
      }
      if ((int) crc.getValue() != expectedCrc) {
        throw corrupt(file, "checksum mismatch");
      }
      return size;
    } catch (IOException e) {
      throw new StateStoreException("state snapshot " + file + " cannot be read: " + e.getMessage(), e);
    }
  }

  private static StateStoreException corrupt(Path file, String reason) {
    return new StateStoreException(
        "state snapshot " + file + " is corrupt: " + reason
            + "; refusing to start so that no data is silently dropped");
  }

  private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static byte[] readBytes(DataInputStream in, Bounded body) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > body.limit) {
      throw new IOException("field length " + length + " exceeds the snapshot body");
    }
    byte[] out = new byte[length];
    in.readFully(out);
    return out;
  }

  /** Reads at most {@code limit} bytes, so read-ahead never reaches the trailer. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    private final long limit;
    private long left;

    Bounded(InputStream in, long limit) {
      this.in = in;
      this.limit = limit;
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(buffer, offset, (int) Math.min(length, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }

  /** Counts what passes through; never closes the channel under it. */
  private static final class CountingOutputStream extends FilterOutputStream {
    long count;

    CountingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }

    @Override
    public void close() {}
  }
}
