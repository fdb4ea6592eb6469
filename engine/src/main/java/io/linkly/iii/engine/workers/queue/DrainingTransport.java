package io.linkly.iii.engine.workers.queue;

import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.workers.queue.adapter.QueueBackend;
import io.linkly.iii.engine.workers.queue.adapter.QueueException;
import io.linkly.iii.engine.workers.queue.adapter.QueueStats;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transport {@code iii-queue} no longer sends messages to, its adapter having been changed: its
 * consumers go on delivering what it holds, and it closes once none of the queues it consumes has
 * a message waiting, waiting for a retry or in flight. So a message acknowledged before the change
 * is still handled after it (upstream leaves it in the old transport). Its dead letters stay where
 * they are: in the broker, or in the journal on disk, ready for the day the adapter comes back; an
 * in-memory store's go with it, which is logged.
 */
final class DrainingTransport implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DrainingTransport.class);
  private static final Duration CHECK_EVERY = Duration.ofMillis(250);

  private final QueueBackend transport;
  private final QueueConfig.Adapter adapter;
  private final List<String> queues;
  private final Thread watcher;
  private volatile boolean closed;
  private boolean readFailureLogged;

  /** Starts draining {@code transport} (built for {@code adapter}), whose consumers deliver {@code queues}. */
  DrainingTransport(QueueBackend transport, QueueConfig.Adapter adapter, List<String> queues) {
    this.transport = transport;
    this.adapter = adapter;
    this.queues = List.copyOf(queues);
    // started only once the field is set: a transport already empty is closed by the watcher at
    // once, and close() tells the watcher from other threads by this field
    this.watcher = Thread.ofVirtual().name("iii-queue drain " + transport.type()).unstarted(this::watch);
    watcher.start();
  }

  private void watch() {
    try {
      while (!closed && holdsMessages()) {
        Thread.sleep(CHECK_EVERY);
      }
    } catch (InterruptedException e) {
      return; // closed with the worker
    }
    long deadLetters = deadLetters();
    if (deadLetters > 0) {
      log.warn("iii-queue: the previous {} transport is drained and closed; {} dead letter(s) stay in it", transport.type(), deadLetters);
    } else {
      log.info("iii-queue: the previous {} transport is drained and closed", transport.type());
    }
    close();
  }

  private boolean holdsMessages() {
    for (String queue : queues) {
      try {
        QueueStats stats = transport.stats(queue);
        if (stats.depth() > 0 || stats.inFlight() > 0) {
          return true;
        }
      } catch (QueueException | RuntimeException e) {
        if (!readFailureLogged) {
          readFailureLogged = true;
          log.warn("iii-queue: cannot read {} of the previous transport while draining it (it stays open until it can): {}",
              LogSafe.escape(queue), LogSafe.escape(String.valueOf(e.getMessage())));
        }
        return true; // a store that cannot be read now may hold messages: try again
      }
    }
    return false;
  }

  private long deadLetters() {
    long count = 0;
    for (String queue : queues) {
      try {
        count += transport.stats(queue).dlqDepth();
      } catch (QueueException | RuntimeException e) {
        // counted as none: the log line is about what is known
      }
    }
    return count;
  }

  /** The adapter settings the transport was built for. */
  QueueConfig.Adapter adapter() {
    return adapter;
  }

  /** True once the transport is closed. */
  boolean done() {
    return closed;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (Thread.currentThread() != watcher) {
      watcher.interrupt();
    }
    transport.close();
  }
}
