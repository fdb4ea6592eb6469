package io.linkly.iii.engine.workers.observability;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prints workers' log lines on a thread of its own, so that no caller ever waits for the console
 * (a request that logs a line must not pay for a terminal that scrolls slowly). The queue is
 * bounded: when the console cannot keep up, lines are dropped and counted, never buffered without
 * limit; the store of recent lines ({@code engine::logs::list}) keeps them all the same.
 */
final class ConsolePrinter implements AutoCloseable {

  /** One line to print: the level, then the already escaped service and text. */
  record Line(String level, String service, String text) {}

  static final int CAPACITY = 8192;
  private static final Logger workerLog = LoggerFactory.getLogger("iii.worker");
  private static final Logger log = LoggerFactory.getLogger(ConsolePrinter.class);

  private final BlockingQueue<Line> lines = new ArrayBlockingQueue<>(CAPACITY);
  private final LongAdder dropped = new LongAdder();
  private final Thread printer;
  private volatile boolean closed;
  private volatile boolean warnedAboutDrops;

  ConsolePrinter() {
    printer = Thread.ofPlatform().daemon().name("iii-log-printer").start(this::printLoop);
  }

  /** Queues a line; never blocks. */
  void print(Line line) {
    if (!lines.offer(line)) {
      dropped.increment();
      if (!warnedAboutDrops) {
        warnedAboutDrops = true;
        log.warn("the console cannot keep up with workers' log lines; dropping lines (engine::logs::list keeps them)");
      }
    }
  }

  long dropped() {
    return dropped.sum();
  }

  private void printLoop() {
    try {
      while (!closed) {
        write(lines.take());
      }
    } catch (InterruptedException e) {
      // closing
    }
    Line left;
    while ((left = lines.poll()) != null) {
      write(left);
    }
  }

  private static void write(Line line) {
    try {
      switch (line.level()) {
        case "error" -> workerLog.error("[{}] {}", line.service(), line.text());
        case "warn" -> workerLog.warn("[{}] {}", line.service(), line.text());
        case "debug" -> workerLog.debug("[{}] {}", line.service(), line.text());
        case "trace" -> workerLog.trace("[{}] {}", line.service(), line.text());
        default -> workerLog.info("[{}] {}", line.service(), line.text());
      }
    } catch (RuntimeException e) {
      // a broken logging backend must not stop the printer
    }
  }

  /** Prints what is queued, then stops. */
  @Override
  public void close() {
    closed = true;
    printer.interrupt();
    try {
      printer.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
