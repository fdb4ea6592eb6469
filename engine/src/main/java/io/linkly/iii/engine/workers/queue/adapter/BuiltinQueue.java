package io.linkly.iii.engine.workers.queue.adapter;

import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.workers.FileChannels;
import io.linkly.iii.engine.workers.queue.QueueConfig;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded queue ({@code adapter: builtin}). Messages live in memory, bounded by
 * {@code max_messages} and {@code max_bytes}; dead letters have a bound of their own
 * ({@code max_dead_letters}, past which the oldest is dropped), so they never take room from live
 * messages. With {@code store_method: file_based}, the default, they also live in a
 * {@link Journal} that every enqueue is forced to before it is acknowledged. Acks,
 * retries and dead-letter moves are journaled too, lazily; a message whose ack did not reach the
 * disk before a crash is delivered again (at-least-once). On open the journal is replayed: every
 * message not acked is delivered again, retries keep their schedule, dead letters stay dead.
 *
 * <p>Each consumed queue has {@code concurrency} lanes, virtual threads that each take a message,
 * call the handler, wait for its outcome and record it.
 */
public final class BuiltinQueue implements QueueBackend {

  private static final Logger log = LoggerFactory.getLogger(BuiltinQueue.class);
  private static final int JOURNAL_CAPACITY = 16_384;
  private static final long PER_MESSAGE_OVERHEAD = 160;
  public static final long DEFAULT_COMPACT_AT_BYTES = 64L << 20;

  private final QueueConfig.Builtin config;
  private final FileChannels channels;
  private final ExecutorService blocking;
  private final Clock clock;
  private final long compactAtBytes;
  private final Map<String, LocalQueue> queues = new ConcurrentHashMap<>();
  private final Map<String, Lanes> consumers = new ConcurrentHashMap<>();
  private final AtomicLong messages = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong deadLetters = new AtomicLong();
  private final AtomicLong deadLettersDropped = new AtomicLong();
  private final AtomicLong seq = new AtomicLong();
  private Journal journal;
  private volatile boolean closed;

  public BuiltinQueue(QueueConfig.Builtin config, ExecutorService blocking, Clock clock) {
    this(config, blocking, clock, DEFAULT_COMPACT_AT_BYTES);
  }

  public BuiltinQueue(QueueConfig.Builtin config, ExecutorService blocking, Clock clock, long compactAtBytes) {
    this(config, blocking, clock, compactAtBytes, FileChannels.DEFAULT);
  }

  public BuiltinQueue(QueueConfig.Builtin config, ExecutorService blocking, Clock clock, long compactAtBytes, FileChannels channels) {
    this.channels = channels;
    this.config = config;
    this.blocking = blocking;
    this.clock = clock;
    this.compactAtBytes = compactAtBytes;
  }

  /** Replays the journal (if durable) and starts its writer. */
  public void open() throws IOException {
    if (config.durable()) {
      Replay replay = new Replay();
      journal = Journal.open(config.dir(), JOURNAL_CAPACITY, config.saveIntervalMs(), compactAtBytes, replay::apply, channels);
      long live = 0;
      long liveBytes = 0;
      long dead = 0;
      for (LocalQueue q : queues.values()) {
        q.rebuild(false);
        for (LocalQueue.Entry e : q.entries().values()) {
          if (e.where == LocalQueue.Where.DEAD) {
            dead++;
          } else {
            live++;
            liveBytes += e.size();
          }
        }
      }
      messages.set(live);
      bytes.set(liveBytes);
      deadLetters.set(dead);
      seq.set(replay.maxSeq);
      journal.start(sink -> queues.values().forEach(q -> q.snapshot(sink)), this::liveEstimate);
      log.info("queue store {}: {} messages in {} queues", config.dir(), live, queues.size());
    } else {
      log.warn("queue store is in memory (store_method: in_memory): queued messages are lost when the engine stops");
    }
  }

  @Override
  public String type() {
    return "builtin";
  }

  long liveEstimate() {
    return bytes.get() + messages.get() * PER_MESSAGE_OVERHEAD;
  }

  /**
   * Failing while the journal cannot write; degraded when the live messages fill more than 90 %
   * of {@code max_messages} or {@code max_bytes} (producers are about to be refused).
   */
  @Override
  public Health health() {
    Health disk = journal == null ? Health.ok() : journal.health();
    if (disk.status() != Health.Status.OK) {
      return disk;
    }
    if (messages.get() * 10 > config.maxMessages() * 9 || bytes.get() * 10 > config.maxBytes() * 9) {
      return Health.degraded("nearly full: " + messages.get() + " messages, " + bytes.get() + " payload bytes");
    }
    return Health.ok();
  }

  /** The journal file, or null when in memory. */
  public java.nio.file.Path journalFile() {
    return journal == null ? null : journal.file();
  }

  private LocalQueue queue(String name, String topic) {
    LocalQueue q = queues.computeIfAbsent(name, n -> new LocalQueue(n, topic));
    q.topic(topic);
    return q;
  }

  // ------------------------------------------------------------------ enqueue

  @Override
  public CompletableFuture<Void> enqueue(QueueSpec spec, QueueMessage message) {
    if (closed) {
      return CompletableFuture.failedFuture(new QueueException("the queue store is closed"));
    }
    return store(queue(spec.name(), spec.topic()), spec, message);
  }

  @Override
  public CompletableFuture<Void> publish(String topic, List<QueueSpec> subscribers, QueueMessage message) {
    if (closed) {
      return CompletableFuture.failedFuture(new QueueException("the queue store is closed"));
    }
    CompletableFuture<?>[] writes = new CompletableFuture<?>[subscribers.size()];
    for (int i = 0; i < writes.length; i++) {
      QueueSpec spec = subscribers.get(i);
      writes[i] = store(queue(spec.name(), topic), spec, message);
    }
    return CompletableFuture.allOf(writes);
  }

  private CompletableFuture<Void> store(LocalQueue q, QueueSpec spec, QueueMessage message) {
    int size = message.payload().length;
    String full = reserve(size);
    if (full != null) {
      return CompletableFuture.failedFuture(new QueueException("Queue '" + spec.displayName() + "' cannot take more messages: " + full));
    }
    CompletableFuture<Void> write = new CompletableFuture<>();
    CompletableFuture<Void> earlier = q.claim(message.id(), write);
    if (earlier != null) {
      free(size);
      return earlier; // the same id again: nothing new to store
    }
    LocalQueue.Entry entry = new LocalQueue.Entry(message, seq.incrementAndGet());
    if (journal == null) {
      q.add(entry);
      write.complete(null);
      return write;
    }
    JournalRecord.Put put =
        new JournalRecord.Put(q.name(), q.topic(), message, entry.seq, JournalRecord.State.READY, 0, null, 0, 0);
    journal
        .submit(put, true, () -> q.add(entry))
        .whenComplete(
            (ok, failure) -> {
              if (failure != null) {
                q.unclaim(message.id());
                free(size);
                write.completeExceptionally(failure);
              } else {
                write.complete(null);
              }
            });
    return write;
  }

  /** Reserves room for one more message; returns why not when the store is full. */
  private String reserve(int size) {
    if (messages.incrementAndGet() > config.maxMessages()) {
      messages.decrementAndGet();
      return "the queue store holds its maximum of " + config.maxMessages() + " messages (max_messages)";
    }
    if (bytes.addAndGet(size) > config.maxBytes()) {
      bytes.addAndGet(-size);
      messages.decrementAndGet();
      return "the queue store holds its maximum of " + config.maxBytes() + " payload bytes (max_bytes)";
    }
    return null;
  }

  private void free(int size) {
    messages.decrementAndGet();
    bytes.addAndGet(-size);
  }

  // ------------------------------------------------------------------ consuming

  @Override
  public void consume(QueueSpec spec, MessageHandler handler) {
    if (closed) {
      return;
    }
    stopConsuming(spec.name());
    LocalQueue q = queue(spec.name(), spec.topic());
    if (q.isFifo() != spec.fifo()) {
      q.rebuild(spec.fifo());
    }
    Lanes lanes = new Lanes(q, spec, handler);
    consumers.put(spec.name(), lanes);
    lanes.start();
  }

  @Override
  public boolean consuming(String queue) {
    return consumers.containsKey(queue);
  }

  @Override
  public void stopConsuming(String queue) {
    Lanes lanes = consumers.remove(queue);
    if (lanes != null) {
      lanes.stop();
    }
  }

  /** The consumer of one queue: {@code concurrency} lanes. */
  private final class Lanes {
    private final LocalQueue queue;
    private final QueueSpec spec;
    private final MessageHandler handler;
    private final List<Future<?>> running = new ArrayList<>();
    private final CountDownLatch exited;
    private volatile boolean active = true;

    Lanes(LocalQueue queue, QueueSpec spec, MessageHandler handler) {
      this.queue = queue;
      this.spec = spec;
      this.handler = handler;
      this.exited = new CountDownLatch(spec.concurrency());
    }

    void start() {
      for (int i = 0; i < spec.concurrency(); i++) {
        running.add(blocking.submit(this::lane));
      }
    }

    void stop() {
      active = false;
      queue.wakeAll();
      running.forEach(f -> f.cancel(true));
    }

    boolean awaitExit(long millis) throws InterruptedException {
      return exited.await(millis, TimeUnit.MILLISECONDS);
    }

    private void lane() {
      try {
        while (active) {
          LocalQueue.Entry e = queue.take(() -> active, clock::millis);
          if (e == null) {
            return;
          }
          if (!deliver(e)) {
            return;
          }
        }
      } catch (InterruptedException e) {
        // stopped
      } catch (RuntimeException e) {
        log.error("queue {}: consumer lane failed", LogSafe.escape(spec.name()), e);
      } finally {
        exited.countDown();
      }
    }

    /** One attempt; false when the lane was stopped meanwhile. */
    private boolean deliver(LocalQueue.Entry e) throws InterruptedException {
      String error;
      try {
        handler.handle(e.delivery()).get();
        error = null;
      } catch (InterruptedException interrupted) {
        queue.release(e);
        return false;
      } catch (ExecutionException | RuntimeException failure) {
        error = Failures.describe(failure);
      }
      JournalRecord record;
      List<JournalRecord> drops = List.of();
      if (error == null) {
        record = queue.ack(e);
        free(e.size());
      } else {
        int failed = e.attempts + 1;
        long now = clock.millis();
        if (spec.retry().exhausted(failed)) {
          record = queue.dead(e, failed, now, error);
          free(e.size()); // a dead letter leaves the live bound for its own
          deadLetters.incrementAndGet();
          drops = dropDeadLettersBeyondBound(queue);
          log.warn("queue {}: message {} failed {} times and is now a dead letter: {}", LogSafe.escape(spec.displayName()), LogSafe.escape(e.message.id()), failed, LogSafe.escape(error));
        } else {
          long delay = spec.retry().delayAfter(failed);
          record = queue.retry(e, failed, now + delay, error);
          log.debug("queue {}: message {} failed (attempt {}), retry in {} ms: {}", LogSafe.escape(spec.displayName()), LogSafe.escape(e.message.id()), failed, delay, LogSafe.escape(error));
        }
      }
      if (journal != null) {
        journal.append(record, false);
        for (JournalRecord drop : drops) {
          journal.append(drop, false);
        }
      }
      return true;
    }
  }

  // ------------------------------------------------------------------ inspection and dead letters

  @Override
  public Collection<String> topicQueues(String topic) {
    List<String> out = new ArrayList<>();
    for (LocalQueue q : queues.values()) {
      if (topic.equals(q.topic())) {
        out.add(q.name());
      }
    }
    out.sort(null);
    return out;
  }

  @Override
  public QueueStats stats(String queue) {
    LocalQueue q = queues.get(queue);
    return q == null ? new QueueStats(0, 0, 0) : q.stats();
  }

  @Override
  public List<DeadLetter> deadLetters(String queue, int offset, int limit) {
    LocalQueue q = queues.get(queue);
    return q == null ? List.of() : q.deadLetters(offset, limit);
  }

  @Override
  public long redrive(String queue) throws QueueException {
    LocalQueue q = queues.get(queue);
    if (q == null) {
      return 0;
    }
    List<JournalRecord> records = new ArrayList<>();
    for (String id : q.deadIds()) {
      JournalRecord.Redrive r = q.redrive(id, seq.incrementAndGet(), this::revive);
      if (r != null) {
        records.add(r);
      }
    }
    persist(records);
    return records.size();
  }

  /**
   * Keeps the dead letters within {@code max_dead_letters}: the oldest of {@code q} goes, journaled
   * as a discard, with a warning. Dead letters are for inspection; live messages must never wait
   * for room because of them.
   */
  private List<JournalRecord> dropDeadLettersBeyondBound(LocalQueue q) {
    List<JournalRecord> drops = new ArrayList<>(1);
    while (deadLetters.get() > config.maxDeadLetters()) {
      String oldest = q.oldestDeadId();
      JournalRecord.Discard d = oldest == null ? null : q.discard(oldest, e -> deadLetters.decrementAndGet());
      if (d == null) {
        break;
      }
      deadLettersDropped.incrementAndGet();
      log.warn("queue {}: more than {} dead letters (max_dead_letters); dropped the oldest, {}", LogSafe.escape(q.name()), config.maxDeadLetters(), LogSafe.escape(oldest));
      drops.add(d);
    }
    return drops;
  }

  /** Dead letters dropped because there were more than {@code max_dead_letters} (a metric). */
  public long deadLettersDropped() {
    return deadLettersDropped.get();
  }

  /** Redriven messages are live again: they count against the live bound, which they may exceed. */
  private void revive(LocalQueue.Entry e) {
    deadLetters.decrementAndGet();
    messages.incrementAndGet();
    bytes.addAndGet(e.size());
  }

  @Override
  public boolean redrive(String queue, String messageId) throws QueueException {
    LocalQueue q = queues.get(queue);
    JournalRecord.Redrive r = q == null ? null : q.redrive(messageId, seq.incrementAndGet(), this::revive);
    if (r == null) {
      return false;
    }
    persist(List.of(r));
    return true;
  }

  @Override
  public boolean discard(String queue, String messageId) throws QueueException {
    LocalQueue q = queues.get(queue);
    JournalRecord.Discard d = q == null ? null : q.discard(messageId, e -> deadLetters.decrementAndGet());
    if (d == null) {
      return false;
    }
    persist(List.of(d));
    return true;
  }

  /** Writes and forces records the caller is told about. */
  private void persist(List<JournalRecord> records) throws QueueException {
    if (journal == null || records.isEmpty()) {
      return;
    }
    try {
      CompletableFuture<Void> last = null;
      for (JournalRecord r : records) {
        last = journal.append(r, true);
      }
      last.get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QueueException("interrupted while writing to the queue store");
    } catch (ExecutionException | TimeoutException e) {
      throw new QueueException(Failures.describe(e), e);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<Lanes> all = new ArrayList<>(consumers.values());
    consumers.clear();
    all.forEach(Lanes::stop);
    try {
      for (Lanes lanes : all) {
        if (!lanes.awaitExit(5_000)) {
          log.warn("queue {}: consumer lanes did not stop within 5 s", LogSafe.escape(lanes.spec.name()));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (journal != null) {
      journal.close();
    }
  }

  // ------------------------------------------------------------------ replay

  /** Rebuilds entries from journal records; a record applies only if newer than what is known. */
  private final class Replay {
    private final Map<String, Integer> removed = new java.util.HashMap<>();
    long maxSeq;

    void apply(JournalRecord record) {
      String key = record.queue() + "\u0000" + record.id();
      Integer gone = removed.get(key);
      if (gone != null && gone >= record.version()) {
        return;
      }
      LocalQueue q = queues.computeIfAbsent(record.queue(), n -> new LocalQueue(n, null));
      Map<String, LocalQueue.Entry> entries = q.entries();
      LocalQueue.Entry e = entries.get(record.id());
      if (record instanceof JournalRecord.Put put) {
        q.topic(put.topic());
        if (e == null || put.version() > e.version) {
          LocalQueue.Entry fresh = new LocalQueue.Entry(put.message(), put.seq());
          fresh.version = put.version();
          fresh.where =
              switch (put.state()) {
                case READY -> LocalQueue.Where.READY;
                case DELAYED -> LocalQueue.Where.DELAYED;
                case DEAD -> LocalQueue.Where.DEAD;
              };
          fresh.dueAtMs = put.dueAtMs();
          fresh.error = put.error();
          fresh.failedAtMs = put.failedAtMs();
          entries.put(record.id(), fresh);
          maxSeq = Math.max(maxSeq, put.seq());
        }
        return;
      }
      if (e == null || record.version() <= e.version) {
        return;
      }
      e.version = record.version();
      switch (record) {
        case JournalRecord.Ack a -> {
          entries.remove(a.id());
          removed.put(key, a.version());
        }
        case JournalRecord.Discard d -> {
          entries.remove(d.id());
          removed.put(key, d.version());
        }
        case JournalRecord.Retry r -> {
          e.where = LocalQueue.Where.DELAYED;
          e.attempts = r.attempts();
          e.dueAtMs = r.dueAtMs();
          e.error = r.error();
        }
        case JournalRecord.Dead d -> {
          e.where = LocalQueue.Where.DEAD;
          e.attempts = d.attempts();
          e.failedAtMs = d.failedAtMs();
          e.error = d.error();
        }
        case JournalRecord.Redrive r -> {
          e.where = LocalQueue.Where.READY;
          e.attempts = 0;
          e.error = null;
          e.failedAtMs = 0;
          e.seq = r.seq();
          maxSeq = Math.max(maxSeq, r.seq());
        }
        case JournalRecord.Put p -> throw new AssertionError();
      }
    }
  }
}
