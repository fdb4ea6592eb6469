package io.linkly.iii.engine.workers.state.adapter;

import io.linkly.iii.engine.workers.FileChannels;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only journal file: an 8-byte magic, then frames. A frame is one group commit:
 * {@code [u32 length][u32 crc32c(payload)][u32 crc32c(first 8 header bytes)][payload]}, the
 * payload holding the batch's {@link JournalRecord}s back to back. A batch is acknowledged only
 * after its frame is forced to disk, so on recovery only the last frame of the last journal can be
 * legitimately incomplete; anything else that does not check out is corruption.
 */
final class Journal implements Closeable {

  private static final Logger log = LoggerFactory.getLogger(Journal.class);

  static final byte[] MAGIC = "IIIJRNL1".getBytes(StandardCharsets.US_ASCII);
  static final int HEADER_BYTES = MAGIC.length;
  static final int FRAME_HEADER_BYTES = 12;
  /** A journal torn while being created holds at most one file-system block of zeros. */
  private static final int CREATION_TEAR_BYTES = 4096;
  private static final int FRAME_BUFFER_BYTES = 64 * 1024;

  private final Path file;
  private final FileChannel channel;
  private long end;
  private ByteBuffer frame = ByteBuffer.allocate(FRAME_BUFFER_BYTES);

  private Journal(Path file, FileChannel channel, long end) {
    this.file = file;
    this.channel = channel;
    this.end = end;
  }

  /** Creates a new, empty journal and makes its header durable. */
  static Journal create(Path file, FileChannels channels) throws IOException {
    FileChannel channel = channels.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
    try {
      writeFully(channel, ByteBuffer.wrap(MAGIC), 0);
      channel.force(true);
      return new Journal(file, channel, HEADER_BYTES);
    } catch (IOException e) {
      channel.close();
      throw e;
    }
  }

  /** Opens a journal that {@link #replay} validated, for appending after its last good frame. */
  static Journal openForAppend(Path file, long end, FileChannels channels) throws IOException {
    FileChannel channel = channels.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
    return new Journal(file, channel, end);
  }

  Path file() {
    return file;
  }

  /** Bytes in the file, header included. */
  long size() {
    return end;
  }

  /** Writes one frame holding {@code records}; not durable until {@link #force}. Returns its size. */
  long append(List<JournalRecord> records) throws IOException {
    int payload = 0;
    for (JournalRecord r : records) {
      payload += r.encoded().length;
    }
    int total = FRAME_HEADER_BYTES + payload;
    if (frame.capacity() < total || (frame.capacity() > 16 * FRAME_BUFFER_BYTES && total <= FRAME_BUFFER_BYTES)) {
      // grow for a big batch; give a huge buffer back once batches are small again
      frame = ByteBuffer.allocate(Math.max(total, FRAME_BUFFER_BYTES));
    }
    frame.clear();
    frame.position(FRAME_HEADER_BYTES);
    CRC32C crc = new CRC32C();
    for (JournalRecord r : records) {
      frame.put(r.encoded());
      crc.update(r.encoded());
    }
    frame.putInt(0, payload).putInt(4, (int) crc.getValue()).putInt(8, headerCrc(payload, (int) crc.getValue()));
    frame.flip();
    writeFully(channel, frame, end);
    end += total;
    return total;
  }

  /**
   * Forgets what was appended after {@code end} (a frame whose write or force failed, and whose
   * writers were told so): the next frame overwrites it, and the file is cut back where possible.
   */
  void rollBack(long end) {
    this.end = end;
    try {
      channel.truncate(end);
    } catch (IOException e) {
      // the disk still fails; the next append writes at end all the same
    }
  }

  void force() throws IOException {
    // force(false) is fdatasync: it also flushes the size change an append makes.
    channel.force(false);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  // ------------------------------------------------------------------ recovery

  /**
   * Replays every complete frame of {@code file} into {@code apply} and returns the offset after the
   * last good frame. An incomplete tail (a write that never finished, hence never acknowledged) is
   * truncated with a warning when {@code last}; in any earlier journal, and anywhere before the
   * tail, a frame that does not check out fails the start.
   */
  static long replay(Path file, boolean last, Consumer<JournalRecord> apply) throws StateStoreException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = channel.size();
      if (size < HEADER_BYTES || (size <= CREATION_TEAR_BYTES && isZero(channel, 0, size))) {
        // The crash hit while the journal was being created: it never held a write.
        if (!last) {
          throw corrupt(file, 0, "incomplete header in a journal that is not the newest");
        }
        if (size > 0) {
          log.warn("state journal {}: incomplete header ({} bytes) rewritten; it never held a write", file, size);
        } else {
          // Empty: a journal's header is forced before its first write, so this is a crash right
          // after the file was created, and nothing acknowledged was in it. Anything else that
          // empties a journal (truncated by hand, a disk that lost it) left nothing to recover
          // from, and refusing would only make the user delete it; so start, but say so by name.
          // (The stream worker's file store is this journal too.)
          log.warn("journal {}: empty (0 bytes) where a header was expected; it never held a write, starting it afresh", file);
        }
        channel.truncate(0);
        writeFully(channel, ByteBuffer.wrap(MAGIC), 0);
        channel.force(true);
        return HEADER_BYTES;
      }
      ByteBuffer magic = ByteBuffer.allocate(HEADER_BYTES);
      readFully(channel, magic, 0);
      if (!Arrays.equals(magic.array(), MAGIC)) {
        throw corrupt(file, 0, "not a state journal (bad magic)");
      }
      long offset = HEADER_BYTES;
      ByteBuffer header = ByteBuffer.allocate(FRAME_HEADER_BYTES);
      while (offset < size) {
        long remaining = size - offset;
        String torn = null;
        if (remaining < FRAME_HEADER_BYTES) {
          torn = "incomplete frame header";
        } else {
          header.clear();
          readFully(channel, header, offset);
          int length = header.getInt(0);
          int payloadCrc = header.getInt(4);
          if (header.getInt(8) != headerCrc(length, payloadCrc)) {
            if (!isZero(channel, offset, size)) {
              throw corrupt(file, offset, "frame header checksum mismatch");
            }
            torn = "zero-filled tail";
          } else if (length < 0) {
            throw corrupt(file, offset, "negative frame length");
          } else if (length > remaining - FRAME_HEADER_BYTES) {
            torn = "frame of " + length + " bytes extends past the end of the file";
          } else {
            ByteBuffer payload = ByteBuffer.allocate(length);
            readFully(channel, payload, offset + FRAME_HEADER_BYTES);
            CRC32C crc = new CRC32C();
            crc.update(payload.array());
            long frameEnd = offset + FRAME_HEADER_BYTES + length;
            if ((int) crc.getValue() != payloadCrc) {
              if (frameEnd != size) {
                throw corrupt(file, offset, "frame checksum mismatch");
              }
              torn = "last frame checksum mismatch";
            } else {
              applyFrame(file, offset, payload.flip(), apply);
              offset = frameEnd;
              continue;
            }
          }
        }
        if (!last) {
          throw corrupt(file, offset, torn + " in a journal that is not the newest");
        }
        log.warn(
            "state journal {}: {} at offset {} ({} bytes) truncated; that write was never acknowledged",
            file, torn, offset, remaining);
        channel.truncate(offset);
        channel.force(true);
        return offset;
      }
      return offset;
    } catch (IOException e) {
      throw new StateStoreException("state journal " + file + " cannot be read: " + e.getMessage(), e);
    }
  }

  private static void applyFrame(Path file, long offset, ByteBuffer payload, Consumer<JournalRecord> apply)
      throws StateStoreException {
    while (payload.hasRemaining()) {
      JournalRecord record;
      try {
        record = JournalRecord.decode(payload);
      } catch (IOException | RuntimeException e) {
        throw corrupt(file, offset, "undecodable record (" + e.getMessage() + ")");
      }
      apply.accept(record);
    }
  }

  private static StateStoreException corrupt(Path file, long offset, String reason) {
    return new StateStoreException(
        "state journal " + file + " is corrupt at offset " + offset + ": " + reason
            + "; refusing to start so that no acknowledged write is silently dropped");
  }

  private static int headerCrc(int length, int payloadCrc) {
    CRC32C crc = new CRC32C();
    crc.update(ByteBuffer.allocate(8).putInt(length).putInt(payloadCrc).flip());
    return (int) crc.getValue();
  }

  private static boolean isZero(FileChannel channel, long from, long to) throws IOException {
    ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
    for (long pos = from; pos < to; ) {
      chunk.clear();
      chunk.limit((int) Math.min(chunk.capacity(), to - pos));
      int n = channel.read(chunk, pos);
      if (n <= 0) {
        return true;
      }
      for (int i = 0; i < n; i++) {
        if (chunk.get(i) != 0) {
          return false;
        }
      }
      pos += n;
    }
    return true;
  }

  static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    long pos = position;
    while (buffer.hasRemaining()) {
      pos += channel.write(buffer, pos);
    }
  }

  static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    long pos = position;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file at offset " + pos);
      }
      pos += n;
    }
  }
}
