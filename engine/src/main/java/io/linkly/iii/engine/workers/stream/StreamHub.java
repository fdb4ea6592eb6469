package io.linkly.iii.engine.workers.stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Fan-out of stream changes to WebSocket subscribers, beyond upstream (DESIGN.md §4):
 *
 * <ul>
 *   <li>each change is encoded once and the same bytes go to every subscriber;
 *   <li>each group numbers its changes ({@code seq}) and keeps the last {@code historySize} of them,
 *       so a client that rejoins with the last number it saw gets exactly what it missed, or an
 *       explicit {@code resync} when the history does not reach back that far. A group nobody
 *       on this engine has watched for {@code idleHistoryMs} keeps none: with a shared store this
 *       engine hears every group of the cluster, and history is for the clients it serves;
 *   <li>a subscriber whose unread output exceeds its bound is cut off alone; the others never wait
 *       for it.
 * </ul>
 *
 * <p>Changes of one group are numbered and queued under the group's lock, so every subscriber sees
 * them in the same order. Delivery runs on the subscribers' own event loops: the publisher queues
 * each change once per event loop, and one task per loop writes it to that loop's subscribers and
 * flushes each socket once per batch.
 */
final class StreamHub {

  /** How long a group keeps its history after its last subscriber here left. */
  static final long IDLE_HISTORY_MS = 120_000;

  private final String epoch;
  private final int historySize;
  private final long idleHistoryMs;
  private final LongSupplier nowMs;
  private final long maxPendingBytes;
  private final long graceMillis;
  private final Map<String, Group> groups = new ConcurrentHashMap<>();
  private final AtomicLong cutOff = new AtomicLong();
  private final AtomicLong delivered = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicInteger subscriptions = new java.util.concurrent.atomic.AtomicInteger();

  StreamHub(String epoch, int historySize, long idleHistoryMs, LongSupplier nowMs, long maxPendingBytes, long graceMillis) {
    this.epoch = epoch;
    this.historySize = historySize;
    this.idleHistoryMs = idleHistoryMs;
    this.nowMs = nowMs;
    this.maxPendingBytes = maxPendingBytes;
    this.graceMillis = graceMillis;
  }

  /** A new subscriber connection with this hub's output bound. */
  StreamConnection connection(io.netty.channel.Channel channel, JsonNode context) {
    return new StreamConnection(channel, context, maxPendingBytes, graceMillis);
  }

  String epoch() {
    return epoch;
  }

  /** Subscribers disconnected because they stopped reading (a metric). */
  long cutOffCount() {
    return cutOff.get();
  }

  /** Frames handed to subscriber sockets (a metric). */
  long deliveredCount() {
    return delivered.get();
  }

  /** Subscriptions joined and not yet left, on every connection (a metric). */
  int subscriptionCount() {
    return subscriptions.get();
  }

  private Group group(String stream, String group) {
    return groups.computeIfAbsent(stream + '\u0000' + group, k -> new Group(nowMs.getAsLong()));
  }

  /**
   * Runs {@code body} under the group's lock. Store writes happen inside it, so that the order of
   * writes and the order of published changes are the same.
   */
  <T> T locked(String stream, String group, Supplier<T> body) {
    Group g = group(stream, group);
    g.lock.lock();
    try {
      return body.get();
    } finally {
      g.lock.unlock();
    }
  }

  /** Numbers a change, keeps it in the history, and queues it for every subscriber's loop. */
  StreamEvent publish(String stream, String group, String itemId, String kind, JsonNode data, long timestamp) {
    Group g = group(stream, group);
    g.lock.lock();
    try {
      StreamEvent event = StreamEvent.of(stream, group, itemId, kind, data, timestamp, ++g.seq, epoch);
      if (keepsHistory(g)) {
        g.history.addLast(event);
        if (g.history.size() > historySize) {
          g.history.removeFirst();
        }
      } else {
        // safe to drop: a resume or a join that needs it finds it missing and takes a snapshot
        g.history.clear();
      }
      for (LoopFanout fanout : g.loops.values()) {
        fanout.enqueue(event);
      }
      return event;
    } finally {
      g.lock.unlock();
    }
  }

  /** The group's latest sequence number: the number of the last change published to it. */
  long seq(String stream, String group) {
    return locked(stream, group, () -> group(stream, group).seq);
  }

  /** What a joining subscriber is synced with, and the sequence number of the last change it reflects. */
  record Snapshot(JsonNode value, long seq) {}

  /**
   * What a joining subscriber must be sent first: the {@code sync} (or {@code resync}) frame of
   * {@code snapshot} as of {@code seq} unless it resumed, then the {@code missed} changes.
   */
  record Start(boolean resumed, JsonNode snapshot, long seq, boolean resync, List<StreamEvent> missed) {}

  /**
   * Resumes a subscription from the history, when {@code lastEpoch} is this hub's and the history
   * still holds every change after {@code lastSeq}; must run on the connection's event loop.
   * Returns null, registering nothing, when the caller has to send a snapshot instead.
   */
  Start resume(Subscriber template, long lastSeq, String lastEpoch) {
    Group g = group(template.stream, template.group);
    g.lock.lock();
    try {
      if (!epoch.equals(lastEpoch) || !bridges(g, lastSeq)) {
        return null;
      }
      return new Start(true, null, g.seq, false, register(g, template, lastSeq));
    } finally {
      g.lock.unlock();
    }
  }

  /**
   * Adds a subscription whose snapshot was read as of {@code snapshot.seq()}; must run on the
   * connection's event loop. The changes published since the snapshot was read come from the
   * history, so none falls between the snapshot and the live changes and none is sent twice.
   * Returns null, registering nothing, when the history no longer reaches back to the snapshot
   * (the caller reads a fresh one).
   */
  Start attach(Subscriber template, Snapshot snapshot, boolean resync) {
    Group g = group(template.stream, template.group);
    g.lock.lock();
    try {
      if (!bridges(g, snapshot.seq())) {
        return null;
      }
      g.lastWatchedMs = nowMs.getAsLong();
      return new Start(false, snapshot.value(), snapshot.seq(), resync, register(g, template, snapshot.seq()));
    } finally {
      g.lock.unlock();
    }
  }

  /**
   * Whether the group's next change goes into its history: while it has subscribers here, and
   * for {@link #idleHistoryMs} after the last one left (or after the group was first heard of),
   * so that a client that drops and comes back resumes. Reading the subscriber lists from here is
   * a race, and either outcome is safe: history kept longer, or a rejoin that resyncs.
   */
  private boolean keepsHistory(Group g) {
    long now = nowMs.getAsLong();
    for (LoopFanout fanout : g.loops.values()) {
      if (!fanout.subscribers.isEmpty()) {
        g.lastWatchedMs = now;
        return true;
      }
    }
    return now - g.lastWatchedMs <= idleHistoryMs;
  }

  /** True when the history holds every change after {@code seq}. Runs under the group's lock. */
  private static boolean bridges(Group g, long seq) {
    return seq <= g.seq && (seq == g.seq || (!g.history.isEmpty() && g.history.peekFirst().seq() <= seq + 1));
  }

  /** Registers the subscription and returns the changes after {@code seq} it wants. Runs under the group's lock. */
  private List<StreamEvent> register(Group g, Subscriber template, long seq) {
    List<StreamEvent> missed = new ArrayList<>();
    if (seq < g.seq) {
      for (StreamEvent event : g.history) {
        if (event.seq() > seq && (template.itemId == null || template.itemId.equals(event.itemId()))) {
          missed.add(event);
        }
      }
    }
    Subscriber sub =
        new Subscriber(template.connection, template.subscriptionId, template.stream, template.group, template.itemId, g.seq);
    EventLoop loop = sub.connection.channel().eventLoop();
    g.loops.computeIfAbsent(loop, l -> new LoopFanout(l)).subscribers.add(sub);
    Subscriber previous = sub.connection.subscriptions.put(sub.subscriptionId, sub);
    if (previous != null) {
      detachLocal(previous);
    } else {
      subscriptions.incrementAndGet();
    }
    return missed;
  }

  /**
   * Changes were lost before reaching this hub (a shared store's channel was interrupted): every
   * group's history ends here, with a gap in the numbering so that no resume can bridge it, and
   * every subscriber that joined before is cut off, to rejoin and resync.
   */
  void interrupt(String reason) {
    for (Group g : groups.values()) {
      g.lock.lock();
      try {
        long gap = ++g.seq;
        g.history.clear();
        for (LoopFanout fanout : g.loops.values()) {
          fanout.loop.execute(() -> fanout.cutJoinedBefore(gap, reason));
        }
      } finally {
        g.lock.unlock();
      }
    }
  }

  /** Removes a subscription; must run on its connection's event loop. */
  void detach(Subscriber sub) {
    detachLocal(sub); // first: once the count says it left, no change finds it any more
    if (sub.connection.subscriptions.remove(sub.subscriptionId, sub)) {
      subscriptions.decrementAndGet();
    }
  }

  private void detachLocal(Subscriber sub) {
    Group g = groups.get(sub.stream + '\u0000' + sub.group);
    if (g == null) {
      return;
    }
    LoopFanout fanout = g.loops.get(sub.connection.channel().eventLoop());
    if (fanout != null) {
      fanout.subscribers.remove(sub);
    }
  }

  private static final class Group {
    final ReentrantLock lock = new ReentrantLock();
    final ArrayDeque<StreamEvent> history = new ArrayDeque<>();
    final Map<EventLoop, LoopFanout> loops = new ConcurrentHashMap<>();
    long seq;
    /** The last time a change found a subscriber here (guarded by lock). */
    long lastWatchedMs;

    Group(long createdMs) {
      this.lastWatchedMs = createdMs;
    }
  }

  /**
   * A group's subscribers on one event loop. The list is touched only on that loop; the publisher
   * only appends to the queue and schedules one drain task when none is pending.
   */
  private final class LoopFanout {
    /** A loop so far behind that it holds this many changes of one group drops its subscribers. */
    private static final int MAX_QUEUED = 65_536;
    /** Changes written per drain: bounds one task's time on the loop and one joined buffer's size. */
    private static final int MAX_BATCH = 512;

    final EventLoop loop;
    final List<Subscriber> subscribers = new ArrayList<>();
    final Queue<StreamEvent> queue = new ConcurrentLinkedQueue<>();
    final AtomicInteger queued = new AtomicInteger();
    final AtomicBoolean scheduled = new AtomicBoolean();
    volatile boolean overflowed;

    LoopFanout(EventLoop loop) {
      this.loop = loop;
    }

    void enqueue(StreamEvent event) {
      if (queued.incrementAndGet() > MAX_QUEUED) {
        queued.decrementAndGet();
        overflowed = true;
      } else {
        queue.add(event);
      }
      if (scheduled.compareAndSet(false, true)) {
        loop.execute(this::drain);
      }
    }

    private void drain() {
      scheduled.set(false);
      if (overflowed) {
        overflowed = false;
        queue.clear();
        queued.set(0);
        for (Subscriber sub : List.copyOf(subscribers)) {
          cut(sub, "engine overloaded; rejoin with lastSeq to resume");
        }
        return;
      }
      List<StreamEvent> batch = new ArrayList<>();
      StreamEvent event;
      while (batch.size() < MAX_BATCH && (event = queue.poll()) != null) {
        queued.decrementAndGet();
        batch.add(event);
      }
      if (batch.isEmpty()) {
        return;
      }
      // the changes of one drain as one buffer: a subscriber that wants all of them gets one
      // write of it, not one per change (a socket write costs far more than its bytes)
      ByteBuf joined = batch.size() == 1 ? batch.get(0).wire() : WireFrame.concat(PooledByteBufAllocator.DEFAULT, batch);
      long firstSeq = batch.get(0).seq();
      long sent = 0;
      boolean anyCut = false;
      for (int i = 0; i < subscribers.size(); i++) {
        Subscriber sub = subscribers.get(i);
        StreamConnection connection = sub.connection;
        if (!connection.isOpen()) {
          continue;
        }
        boolean keptUp;
        if (sub.itemId == null && sub.afterSeq < firstSeq) {
          keptUp = connection.offer(joined);
          sent += batch.size();
        } else {
          keptUp = true;
          for (StreamEvent e : batch) {
            if (sub.wants(e)) {
              keptUp = connection.offer(e.wire());
              sent++;
              if (!keptUp) {
                break;
              }
            }
          }
        }
        if (!keptUp) {
          cutOff.incrementAndGet();
          connection.cutOff("subscriber too slow: more than " + maxPendingBytes + " bytes unread for " + graceMillis + " ms");
          anyCut = true;
        } else {
          connection.flushIfNeeded();
        }
      }
      if (batch.size() > 1) {
        joined.release(); // the sockets hold their own references to it
      }
      if (anyCut) {
        subscribers.removeIf(s -> !s.connection.isOpen());
      }
      delivered.addAndGet(sent);
      if (!queue.isEmpty() && scheduled.compareAndSet(false, true)) {
        loop.execute(this::drain); // more than one batch waited: the rest after other work on this loop
      }
    }

    /** Cuts off the subscribers that joined before change {@code seq}; runs on the loop. */
    void cutJoinedBefore(long seq, String reason) {
      for (Subscriber sub : List.copyOf(subscribers)) {
        if (sub.afterSeq < seq && subscribers.contains(sub)) {
          cut(sub, reason);
        }
      }
    }

    private void cut(Subscriber sub, String reason) {
      StreamConnection connection = sub.connection;
      subscribers.removeIf(s -> s.connection == connection);
      if (connection.isOpen()) {
        cutOff.incrementAndGet();
        connection.cutOff(reason);
      }
    }
  }
}
