package io.linkly.iii.engine.channels;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Every open data channel of the engine (PROTOCOL.md §7), shared by all worker listeners (which
 * serve {@code /ws/channels}) and by the built-ins that create channels of their own (iii-http).
 * A channel leaves when its reader has seen end of stream or gone away; one whose ends were not
 * both attached within {@link #UNATTACHED_TTL} is swept, as upstream sweeps them.
 */
public final class DataChannels implements AutoCloseable {

  /** {@code buffer_size}: frames between writer and reader (upstream's default and maximum). */
  public static final int DEFAULT_CAPACITY = 64;

  public static final int MAX_CAPACITY = 1024;

  /**
   * Upstream bounds frames only; frames may be 64 MiB each, so a channel also pauses its writer
   * once this many bytes wait (always taking the frame that crossed it).
   */
  public static final long MAX_BUFFERED_BYTES = 4L * 1024 * 1024;

  /** Bytes waiting in all channels together, past which a channel holding any pauses its writer. */
  public static final long MAX_ENGINE_BUFFERED_BYTES = 256L * 1024 * 1024;

  /**
   * Channels open at once, past which {@code engine::channels::create} is refused: a worker that
   * creates channels and never uses them cannot grow the table without end in the 5 minutes before
   * they are swept.
   */
  public static final int MAX_OPEN = 100_000;

  public static final Duration UNATTACHED_TTL = Duration.ofMinutes(5);

  private final Map<String, DataChannel> open = new ConcurrentHashMap<>();
  private final LongSupplier nanoTime;
  private final AtomicLong created = new AtomicLong();
  private final AtomicLong bufferedBytes = new AtomicLong();
  private final long maxBufferedBytes;

  public DataChannels() {
    this(System::nanoTime, MAX_ENGINE_BUFFERED_BYTES);
  }

  DataChannels(LongSupplier nanoTime, long maxBufferedBytes) {
    this.nanoTime = nanoTime;
    this.maxBufferedBytes = maxBufferedBytes;
  }

  /** A new channel holding up to {@code capacity} frames (clamped to 1..{@link #MAX_CAPACITY}). */
  public DataChannel create(int capacity) {
    String id = RandomIds.id();
    int bounded = Math.max(1, Math.min(MAX_CAPACITY, capacity));
    DataChannel channel =
        new DataChannel(
            id, RandomIds.key(), bounded, MAX_BUFFERED_BYTES, bufferedBytes, maxBufferedBytes, nanoTime.getAsLong(), () -> open.remove(id));
    open.put(id, channel);
    created.incrementAndGet();
    return channel;
  }

  /** The channel with this id, if the key is its access key. */
  public Optional<DataChannel> find(String id, String accessKey) {
    DataChannel channel = open.get(id);
    return channel != null && channel.keyMatches(accessKey) ? Optional.of(channel) : Optional.empty();
  }

  public int openCount() {
    return open.size();
  }

  /** Bytes waiting in all channels now. */
  public long bufferedBytes() {
    return bufferedBytes.get();
  }

  public long createdCount() {
    return created.get();
  }

  /** Gives up the channels whose ends were not both attached in time; returns how many. */
  public int sweep() {
    long now = nanoTime.getAsLong();
    int swept = 0;
    for (DataChannel channel : open.values()) {
      if (now - channel.createdNanos() > UNATTACHED_TTL.toNanos() && !channel.fullyAttached()) {
        channel.abandon("channel expired before both ends attached");
        swept++;
      }
    }
    return swept;
  }

  @Override
  public void close() {
    open.values().forEach(c -> c.abandon("engine stopping"));
  }
}
