package io.linkly.iii.engine.workers.queue.adapter;

import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.core.LoopThreads;
import io.linkly.iii.engine.workers.FileChannels;
import io.linkly.iii.engine.workers.WriteOutage;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The builtin queue's append-only log, {@code <dir>/queue.journal}: an 8-byte magic, then frames of
 * {@code [int length][int crc32c][record]}.
 *
 * <p>One writer loop owns the file. Callers hand it records through a bounded queue; it writes
 * whatever has accumulated in one go and forces the file once for the whole batch if any record in
 * it asked for durability (group commit), before completing any of them. Records that need not be
 * durable at once (acks, retries, dead-letter moves) are forced with the next durable batch or
 * after {@code forceIntervalMs}, whichever comes first; losing them in a crash only means a
 * message is delivered again.
 *
 * <p>On open the log is replayed. A torn tail — a last frame that is incomplete, fails its
 * checksum, or is followed only by zeros — is what a crash during an unforced write leaves; it is
 * truncated with a warning. A bad frame with valid data after it is corruption and fails the open.
 * When the log grows well past the live data it is compacted: the live messages are written to a
 * new file, which is forced and renamed over the old one.
 */
final class Journal implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Journal.class);

  static final String FILE = "queue.journal";
  private static final byte[] MAGIC = "IIIQJNL1".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_RECORD = 80 << 20;
  private static final int MAX_BATCH = 4096;
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  /** Writes the live state as {@link JournalRecord.Put} records, for compaction. */
  interface Snapshot {
    void writeTo(Consumer<JournalRecord.Put> sink);
  }

  private record Request(byte[] frame, boolean sync, Runnable afterWrite, CompletableFuture<Void> done) {}

  private final Path dir;
  private final Path file;
  private final ArrayBlockingQueue<Request> requests;
  private final long forceIntervalNanos;
  private final long compactAtBytes;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private FileChannel channel;
  private long size;
  private volatile boolean closing;
  private final WriteOutage outage = new WriteOutage();
  private Snapshot snapshot;
  private LongSupplier liveBytes;
  private boolean started;

  private final FileChannels channels;

  private Journal(Path dir, int capacity, long forceIntervalMs, long compactAtBytes, FileChannels channels) {
    this.channels = channels;
    this.dir = dir;
    this.file = dir.resolve(FILE);
    this.requests = new ArrayBlockingQueue<>(capacity);
    this.forceIntervalNanos = TimeUnit.MILLISECONDS.toNanos(forceIntervalMs);
    this.compactAtBytes = compactAtBytes;
  }

  /** Opens (creating if needed) the journal in {@code dir} and replays every record into {@code replay}. */
  static Journal open(
      Path dir, int capacity, long forceIntervalMs, long compactAtBytes, Consumer<JournalRecord> replay, FileChannels channels)
      throws IOException {
    Journal journal = new Journal(dir, capacity, forceIntervalMs, compactAtBytes, channels);
    Files.createDirectories(dir);
    Files.deleteIfExists(dir.resolve(FILE + ".compact"));
    boolean existed = Files.exists(journal.file);
    journal.channel = channels.open(journal.file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      journal.replay(replay, existed);
      journal.channel.position(journal.size);
    } catch (IOException | RuntimeException e) {
      journal.channel.close();
      throw e;
    }
    return journal;
  }

  Path file() {
    return file;
  }

  long size() {
    return size;
  }

  // ------------------------------------------------------------------ replay

  private void replay(Consumer<JournalRecord> sink, boolean existed) throws IOException {
    long length = channel.size();
    if (length < MAGIC.length) {
      if (length > 0) {
        log.warn("queue journal {}: torn header ({} bytes); starting an empty journal", file, length);
      } else if (existed) {
        // The header is forced before the journal takes its first message, so a crash right after
        // the file was created is what leaves it empty: no message was acknowledged from it, and
        // starting is right. Any other way to an empty file (truncated by hand, a disk that lost
        // it) lost messages nobody can get back from 0 bytes; refusing would only make the user
        // delete it. Either way it is said once, by name, not passed over as a new journal.
        log.warn("queue journal {}: empty (0 bytes) where a header was expected; it holds no message, starting it afresh", file);
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(MAGIC), 0);
      channel.force(true);
      forceDirectory();
      size = MAGIC.length;
      return;
    }
    byte[] magic = new byte[MAGIC.length];
    readFully(ByteBuffer.wrap(magic), 0);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new IOException("queue journal " + file + " is not a queue journal (bad magic); move it away to start empty");
    }
    long offset = MAGIC.length;
    long records = 0;
    InputStream stream = new BufferedInputStream(Channels.newInputStream(channel.position(offset)), 1 << 16);
    DataInputStream in = new DataInputStream(stream);
    CRC32C crc = new CRC32C();
    while (offset < length) {
      long remaining = length - offset;
      if (remaining < 8) {
        truncate(offset, length, "a partial frame header");
        return;
      }
      int bodyLength = in.readInt();
      int checksum = in.readInt();
      if (bodyLength <= 0 || bodyLength > MAX_RECORD || bodyLength > remaining - 8) {
        if (bodyLength > remaining - 8 || zerosFrom(offset)) {
          truncate(offset, length, "a frame that runs past the end of the file");
          return;
        }
        throw corrupt(offset, "impossible frame length " + bodyLength);
      }
      byte[] body = new byte[bodyLength];
      try {
        in.readFully(body);
      } catch (EOFException e) {
        truncate(offset, length, "a partial frame");
        return;
      }
      crc.reset();
      crc.update(body);
      long end = offset + 8 + bodyLength;
      if ((int) crc.getValue() != checksum) {
        if (end == length || zerosFrom(offset)) {
          truncate(offset, length, "a checksum mismatch in the last frame");
          return;
        }
        throw corrupt(offset, "checksum mismatch");
      }
      JournalRecord record;
      try {
        record = JournalRecord.decode(body);
      } catch (IOException e) {
        throw corrupt(offset, "undecodable record: " + e.getMessage());
      }
      sink.accept(record);
      records++;
      offset = end;
    }
    size = offset;
    log.info("queue journal {}: replayed {} records ({} bytes)", file, records, size);
  }

  private void truncate(long offset, long length, String reason) throws IOException {
    log.warn(
        "queue journal {}: torn tail at byte {} ({}); dropping the last {} bytes, which were never acknowledged",
        file, offset, reason, length - offset);
    channel.truncate(offset);
    channel.force(true);
    size = offset;
  }

  private IOException corrupt(long offset, String reason) throws IOException {
    return new IOException(
        "queue journal " + file + " is corrupt at byte " + offset + " of " + channel.size() + " (" + reason
            + ") and valid data follows; refusing to start. Move the file away (messages in it are then lost) or restore it from a backup");
  }

  private boolean zerosFrom(long offset) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
    long position = offset;
    while (true) {
      buffer.clear();
      int read = channel.read(buffer, position);
      if (read < 0) {
        return true;
      }
      for (int i = 0; i < read; i++) {
        if (buffer.get(i) != 0) {
          return false;
        }
      }
      position += read;
    }
  }

  private void readFully(ByteBuffer buffer, long position) throws IOException {
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, position + buffer.position());
      if (read < 0) {
        throw new EOFException();
      }
    }
  }

  // ------------------------------------------------------------------ writing

  /**
   * Starts the writer loop on its own thread. {@code liveBytes} estimates what a compacted journal
   * would take; compaction runs when the file is both past {@code compactAtBytes} and four times
   * that estimate.
   */
  void start(Snapshot snapshot, LongSupplier liveBytes) {
    this.snapshot = snapshot;
    this.liveBytes = liveBytes;
    started = true;
    LoopThreads.start("iii-queue-journal " + dir.getFileName(), this::writerLoop);
  }

  /**
   * Queues a record without blocking. {@code afterWrite} runs on the writer once the record is in
   * the file (forced, when {@code sync}), before the returned future completes. Fails at once when
   * the queue of pending writes is full, the journal is closed, or its disk is failing.
   */
  CompletableFuture<Void> submit(JournalRecord record, boolean sync, Runnable afterWrite) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    String failure = refusal();
    if (failure != null) {
      done.completeExceptionally(new QueueException(failure));
      return done;
    }
    if (!requests.offer(new Request(frame(record), sync, afterWrite, done))) {
      done.completeExceptionally(
          new QueueException("the queue store is busy (" + requests.size() + " writes waiting for the disk); try again"));
    }
    return done;
  }

  /** Queues a record, waiting for room; for callers on virtual threads. */
  CompletableFuture<Void> append(JournalRecord record, boolean sync) throws InterruptedException {
    CompletableFuture<Void> done = new CompletableFuture<>();
    String failure = refusal();
    if (failure != null) {
      done.completeExceptionally(new QueueException(failure));
      return done;
    }
    byte[] frame = frame(record);
    while (!requests.offer(new Request(frame, sync, null, done), 100, TimeUnit.MILLISECONDS)) {
      failure = refusal();
      if (failure != null) {
        done.completeExceptionally(new QueueException(failure));
        return done;
      }
    }
    return done;
  }

  /** Why a record cannot be taken now, or null (see {@link WriteOutage}); never names the file. */
  private String refusal() {
    String failure = outage.refusal();
    if (failure != null) {
      return "the queue store cannot write to its journal (" + failure + "); it retries every second";
    }
    if (closing || !started) {
      return "the queue store is closed";
    }
    return null;
  }

  private static byte[] frame(JournalRecord record) {
    byte[] body = JournalRecord.encode(record);
    CRC32C crc = new CRC32C();
    crc.update(body);
    ByteBuffer frame = ByteBuffer.allocate(8 + body.length);
    frame.putInt(body.length).putInt((int) crc.getValue()).put(body);
    return frame.array();
  }

  private void writerLoop() {
    List<Request> batch = new ArrayList<>();
    boolean dirty = false;
    long lastForce = System.nanoTime();
    try {
      while (true) {
        Request first;
        try {
          first = requests.poll(Math.max(1, Math.min(forceIntervalNanos / 2, POLL_NANOS)), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break; // nothing interrupts the writer: close() lets it finish what is queued
        }
        if (first == null) {
          if (dirty && outage.cause() == null) {
            try {
              force();
              dirty = false;
            } catch (IOException e) {
              failed(e); // those records were not asked to be durable; the next durable write retries
            }
            lastForce = System.nanoTime();
          }
          if (closing && requests.isEmpty()) {
            break;
          }
          continue;
        }
        batch.add(first);
        requests.drainTo(batch, MAX_BATCH - 1);
        boolean sync = false;
        for (Request r : batch) {
          sync |= r.sync();
        }
        long before = size;
        try {
          write(batch);
          dirty = true;
          if (sync || System.nanoTime() - lastForce >= forceIntervalNanos) {
            force();
            dirty = false;
            lastForce = System.nanoTime();
          }
          if (outage.succeeded()) {
            log.warn("queue journal {}: writes succeed again; the queue takes new messages", file);
          }
        } catch (IOException e) {
          rollBack(before);
          failed(e);
          for (Request r : batch) {
            r.done().completeExceptionally(new QueueException("the queue store cannot write to its journal (" + outage.cause() + "); nothing of this write was kept"));
          }
          batch.clear();
          continue;
        }
        for (Request r : batch) {
          try {
            if (r.afterWrite() != null) {
              r.afterWrite().run();
            }
            r.done().complete(null);
          } catch (RuntimeException e) {
            log.error("queue journal {}: applying a written record failed", file, e);
            r.done().completeExceptionally(e);
          }
        }
        batch.clear();
        maybeCompact();
      }
      if (outage.cause() == null) {
        force();
      }
    } catch (IOException e) {
      log.error("queue journal {}: final force failed", file, e);
    } catch (RuntimeException | Error e) {
      log.error("queue journal {}: writer stopped unexpectedly", file, e);
      outage.forGood(String.valueOf(e.getMessage()));
    } finally {
      Request r;
      while ((r = requests.poll()) != null) {
        r.done().completeExceptionally(new QueueException("the queue store is closed"));
      }
      try {
        channel.close();
      } catch (IOException e) {
        log.warn("queue journal {}: close failed", file, e);
      }
      stopped.countDown();
    }
  }

  /** Starts or continues an outage; logs once per outage. */
  private void failed(IOException e) {
    if (outage.failed(String.valueOf(e.getMessage()))) {
      log.error("queue journal {}: write failed; new messages are refused, and the disk is tried again every second", file, e);
    }
  }

  /**
   * Forgets a write that failed: the file is cut back to where the batch began, so a half-written
   * or unforced batch (whose callers were told it failed) never comes back at replay.
   */
  private void rollBack(long before) {
    size = before;
    try {
      channel.position(before);
      channel.truncate(before);
    } catch (IOException e) {
      log.debug("queue journal {}: cannot cut back to {} yet", file, before, e);
    }
  }

  Health health() {
    return outage.health();
  }

  private void write(List<Request> batch) throws IOException {
    ByteBuffer[] buffers = new ByteBuffer[batch.size()];
    long total = 0;
    for (int i = 0; i < buffers.length; i++) {
      buffers[i] = ByteBuffer.wrap(batch.get(i).frame());
      total += buffers[i].remaining();
    }
    long written = 0;
    while (written < total) {
      written += channel.write(buffers);
    }
    size += total;
  }

  private void force() throws IOException {
    channel.force(false);
  }

  private void maybeCompact() {
    if (size < compactAtBytes || size < 4 * liveBytes.getAsLong()) {
      return;
    }
    try {
      compact();
    } catch (IOException e) {
      log.warn("queue journal {}: compaction failed; keeping the current file", file, e);
    }
  }

  /** Rewrites the journal as the live state only. Runs on the writer, so nothing else writes meanwhile. */
  void compact() throws IOException {
    long before = size;
    Path next = dir.resolve(FILE + ".compact");
    long written;
    try (FileChannel out =
        channels.open(next, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      long[] bytes = {0};
      IOException[] failure = {null};
      ByteBuffer header = ByteBuffer.wrap(MAGIC);
      while (header.hasRemaining()) {
        out.write(header);
      }
      bytes[0] = MAGIC.length;
      snapshot.writeTo(
          put -> {
            if (failure[0] != null) {
              return;
            }
            try {
              ByteBuffer frame = ByteBuffer.wrap(frame(put));
              bytes[0] += frame.remaining();
              while (frame.hasRemaining()) {
                out.write(frame);
              }
            } catch (IOException e) {
              failure[0] = e;
            }
          });
      if (failure[0] != null) {
        throw failure[0];
      }
      out.force(true);
      written = bytes[0];
    }
    channel.force(false);
    Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    forceDirectory();
    channel.close();
    channel = channels.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    channel.position(written);
    size = written;
    log.info("queue journal {}: compacted {} → {} bytes", file, before, written);
  }

  private void forceDirectory() {
    try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
      directory.force(true);
    } catch (IOException e) {
      log.debug("queue journal {}: directory fsync not supported", dir, e);
    }
  }

  /** Stops accepting records, writes and forces what is queued, and closes the file. */
  @Override
  public void close() {
    closing = true;
    if (!started) {
      try {
        channel.close();
      } catch (IOException e) {
        log.warn("queue journal {}: close failed", file, e);
      }
      return;
    }
    try {
      if (!stopped.await(30, TimeUnit.SECONDS)) {
        log.warn("queue journal {}: writer did not stop within 30 s", file);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
