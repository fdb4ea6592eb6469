package io.linkly.iii.engine.workers.queue.adapter;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The in-memory state of one builtin queue: every message it holds, where each one stands, and
 * the order in which ready messages go out. All of it is guarded by one lock; nothing under the
 * lock blocks or does I/O. Each change returns the journal record that describes it, which the
 * caller writes after releasing the lock.
 *
 * <p>Ready messages are kept per message group. In a standard queue every message is in one group
 * that never blocks, so up to {@code concurrency} of them are in flight at once. In a fifo queue a
 * group is <em>busy</em> while one of its messages is in flight or waiting for a retry, and only the
 * head of a non-busy group can be taken: order within a group holds, retries included, while
 * other groups proceed.
 */
final class LocalQueue {

  enum Where { READY, DELAYED, IN_FLIGHT, DEAD }

  /** One message and its mutable delivery state. */
  static final class Entry {
    final QueueMessage message;
    long seq;
    Where where = Where.READY;
    int attempts;
    long dueAtMs;
    String error;
    long failedAtMs;
    int version;

    Entry(QueueMessage message, long seq) {
      this.message = message;
      this.seq = seq;
      this.attempts = message.attempts();
    }

    int size() {
      return message.payload().length;
    }

    QueueMessage delivery() {
      return message.withAttempts(attempts);
    }
  }

  private static final class Group {
    final String key;
    final ArrayDeque<Entry> ready = new ArrayDeque<>();
    boolean busy;
    boolean listed;

    Group(String key) {
      this.key = key;
    }
  }

  private final String name;
  private volatile String topic;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Map<String, Entry> entries = new HashMap<>();
  private final Map<String, CompletableFuture<Void>> pending = new HashMap<>();
  private final Map<String, Group> groups = new HashMap<>();
  private final ArrayDeque<Group> readyGroups = new ArrayDeque<>();
  private final PriorityQueue<Entry> delayed =
      new PriorityQueue<>(Comparator.<Entry>comparingLong(e -> e.dueAtMs).thenComparingLong(e -> e.seq));
  private final LinkedHashMap<String, Entry> dead = new LinkedHashMap<>();
  private int readyCount;
  private int inFlight;
  private boolean fifo;

  LocalQueue(String name, String topic) {
    this.name = name;
    this.topic = topic;
  }

  String name() {
    return name;
  }

  String topic() {
    return topic;
  }

  void topic(String topic) {
    if (topic != null) {
      this.topic = topic;
    }
  }

  // ------------------------------------------------------------------ enqueue

  /**
   * Claims {@code id} for a message about to be written. Returns the pending write of an earlier
   * message with the same id, or a completed future if one is already stored (the enqueue is then
   * a duplicate and nothing is written); null when the id is free.
   */
  CompletableFuture<Void> claim(String id, CompletableFuture<Void> write) {
    lock.lock();
    try {
      if (entries.containsKey(id)) {
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> earlier = pending.get(id);
      if (earlier != null) {
        return earlier;
      }
      pending.put(id, write);
      return null;
    } finally {
      lock.unlock();
    }
  }

  void unclaim(String id) {
    lock.lock();
    try {
      pending.remove(id);
    } finally {
      lock.unlock();
    }
  }

  /** A written message joins the back of the line. */
  void add(Entry entry) {
    lock.lock();
    try {
      pending.remove(entry.message.id());
      if (entries.putIfAbsent(entry.message.id(), entry) == null) {
        addReady(entry, false);
        changed.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ replay

  /** Replay access to the raw entries, before {@link #rebuild}. */
  Map<String, Entry> entries() {
    return entries;
  }

  /** Re-derives every ordering structure from the entries, for replay and for a type change. */
  void rebuild(boolean fifo) {
    lock.lock();
    try {
      this.fifo = fifo;
      groups.clear();
      readyGroups.clear();
      delayed.clear();
      dead.clear();
      readyCount = 0;
      inFlight = 0;
      List<Entry> all = new ArrayList<>(entries.values());
      all.sort(Comparator.comparingLong(e -> e.seq));
      List<Entry> deadOnes = new ArrayList<>();
      for (Entry e : all) {
        switch (e.where) {
          case READY -> addReady(e, false);
          case DELAYED -> {
            delayed.add(e);
            busy(e);
          }
          case IN_FLIGHT -> {
            inFlight++;
            busy(e);
          }
          case DEAD -> deadOnes.add(e);
        }
      }
      deadOnes.sort(Comparator.<Entry>comparingLong(e -> e.failedAtMs).thenComparingLong(e -> e.seq));
      for (Entry e : deadOnes) {
        dead.put(e.message.id(), e);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  boolean isFifo() {
    lock.lock();
    try {
      return fifo;
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ delivery

  /**
   * Waits for the next deliverable message and marks it in flight; null once {@code running}
   * turns false. Due retries are moved back to the front of their group first.
   */
  Entry take(BooleanSupplier running, LongSupplier clock) throws InterruptedException {
    lock.lock();
    try {
      while (running.getAsBoolean()) {
        long now = clock.getAsLong();
        promoteDue(now);
        Entry next = nextReady();
        if (next != null) {
          return next;
        }
        Entry soonest = delayed.peek();
        if (soonest == null) {
          changed.await(); // every change that readies a message signals; no timer to arm and cancel
        } else {
          changed.await(Math.max(1, soonest.dueAtMs - now + 1), TimeUnit.MILLISECONDS);
        }
      }
      return null;
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiting consumer lane, e.g. to notice that it should stop. */
  void wakeAll() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  JournalRecord.Ack ack(Entry e) {
    lock.lock();
    try {
      entries.remove(e.message.id());
      inFlight--;
      unbusy(e);
      e.version++;
      changed.signalAll();
      return new JournalRecord.Ack(name, e.message.id(), e.version);
    } finally {
      lock.unlock();
    }
  }

  JournalRecord.Retry retry(Entry e, int attempts, long dueAtMs, String error) {
    lock.lock();
    try {
      inFlight--;
      e.where = Where.DELAYED;
      e.attempts = attempts;
      e.dueAtMs = dueAtMs;
      e.error = error;
      e.version++;
      delayed.add(e); // a fifo group stays busy until the retry is done
      changed.signalAll();
      return new JournalRecord.Retry(name, e.message.id(), e.version, attempts, dueAtMs, error);
    } finally {
      lock.unlock();
    }
  }

  JournalRecord.Dead dead(Entry e, int attempts, long failedAtMs, String error) {
    lock.lock();
    try {
      inFlight--;
      e.where = Where.DEAD;
      e.attempts = attempts;
      e.failedAtMs = failedAtMs;
      e.error = error;
      e.version++;
      dead.put(e.message.id(), e);
      unbusy(e);
      changed.signalAll();
      return new JournalRecord.Dead(name, e.message.id(), e.version, attempts, failedAtMs, error);
    } finally {
      lock.unlock();
    }
  }

  /** An interrupted delivery goes back to the front of the line, its attempt not counted. */
  void release(Entry e) {
    lock.lock();
    try {
      if (e.where != Where.IN_FLIGHT) {
        return;
      }
      inFlight--;
      Group g = group(e);
      g.busy = false;
      addReady(e, true);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ dead letters

  JournalRecord.Redrive redrive(String id, long seq, Consumer<Entry> revived) {
    lock.lock();
    try {
      Entry e = dead.remove(id);
      if (e == null) {
        return null;
      }
      revived.accept(e);
      e.attempts = 0;
      e.error = null;
      e.failedAtMs = 0;
      e.seq = seq;
      e.version++;
      addReady(e, false);
      changed.signalAll();
      return new JournalRecord.Redrive(name, id, e.version, seq);
    } finally {
      lock.unlock();
    }
  }

  /** Removes a dead letter; returns the record and the freed payload size through {@code freed}. */
  JournalRecord.Discard discard(String id, Consumer<Entry> freed) {
    lock.lock();
    try {
      Entry e = dead.remove(id);
      if (e == null) {
        return null;
      }
      entries.remove(id);
      e.version++;
      freed.accept(e);
      return new JournalRecord.Discard(name, id, e.version);
    } finally {
      lock.unlock();
    }
  }

  /** The dead letter that died first, or null. */
  String oldestDeadId() {
    lock.lock();
    try {
      return dead.isEmpty() ? null : dead.keySet().iterator().next();
    } finally {
      lock.unlock();
    }
  }

  List<String> deadIds() {
    lock.lock();
    try {
      return new ArrayList<>(dead.keySet());
    } finally {
      lock.unlock();
    }
  }

  List<DeadLetter> deadLetters(int offset, int limit) {
    lock.lock();
    try {
      List<DeadLetter> out = new ArrayList<>();
      int index = 0;
      for (Entry e : dead.values()) {
        if (index++ < offset) {
          continue;
        }
        if (out.size() >= limit) {
          break;
        }
        out.add(new DeadLetter(e.delivery(), e.attempts, e.error, e.failedAtMs));
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  QueueStats stats() {
    lock.lock();
    try {
      return new QueueStats(readyCount + delayed.size(), inFlight, dead.size());
    } finally {
      lock.unlock();
    }
  }

  /** Every stored message as a full record; in-flight ones as ready (they were never acked). */
  void snapshot(Consumer<JournalRecord.Put> sink) {
    List<JournalRecord.Put> puts = new ArrayList<>();
    lock.lock();
    try {
      for (Entry e : entries.values()) {
        JournalRecord.State state =
            switch (e.where) {
              case READY, IN_FLIGHT -> JournalRecord.State.READY;
              case DELAYED -> JournalRecord.State.DELAYED;
              case DEAD -> JournalRecord.State.DEAD;
            };
        puts.add(new JournalRecord.Put(name, topic, e.delivery(), e.seq, state, e.dueAtMs, e.error, e.failedAtMs, e.version));
      }
    } finally {
      lock.unlock();
    }
    puts.forEach(sink);
  }

  // ------------------------------------------------------------------ ordering (lock held)

  private String key(Entry e) {
    return fifo && e.message.group() != null ? e.message.group() : "";
  }

  private Group group(Entry e) {
    return groups.computeIfAbsent(key(e), Group::new);
  }

  private void addReady(Entry e, boolean front) {
    e.where = Where.READY;
    Group g = group(e);
    if (front) {
      g.ready.addFirst(e);
    } else {
      g.ready.addLast(e);
    }
    readyCount++;
    list(g, front);
  }

  private void list(Group g, boolean front) {
    if (!g.listed && !g.busy && !g.ready.isEmpty()) {
      g.listed = true;
      if (front) {
        readyGroups.addFirst(g);
      } else {
        readyGroups.addLast(g);
      }
    }
  }

  private Entry nextReady() {
    Group g = readyGroups.peekFirst();
    if (g == null) {
      return null;
    }
    Entry e = g.ready.pollFirst();
    readyCount--;
    if (fifo) {
      readyGroups.pollFirst();
      g.listed = false;
      g.busy = true;
    } else if (g.ready.isEmpty()) {
      readyGroups.pollFirst();
      g.listed = false;
    }
    forget(g);
    e.where = Where.IN_FLIGHT;
    inFlight++;
    return e;
  }

  private void busy(Entry e) {
    if (fifo) {
      group(e).busy = true;
    }
  }

  private void unbusy(Entry e) {
    if (!fifo) {
      return;
    }
    Group g = groups.get(key(e));
    if (g != null) {
      g.busy = false;
      list(g, false);
      forget(g);
    }
  }

  private void forget(Group g) {
    if (!g.busy && !g.listed && g.ready.isEmpty()) {
      groups.remove(g.key);
    }
  }

  private void promoteDue(long now) {
    Entry e;
    // strictly after: the clock reads whole milliseconds, so "due at t" may have begun up to 1 ms before t
    while ((e = delayed.peek()) != null && e.dueAtMs < now) {
      delayed.poll();
      Group g = group(e);
      g.busy = false;
      addReady(e, true); // a due retry goes ahead of the waiting line, as upstream does
    }
  }
}
