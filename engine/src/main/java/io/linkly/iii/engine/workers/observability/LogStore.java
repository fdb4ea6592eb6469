package io.linkly.iii.engine.workers.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The logs {@code engine::logs::list} reads: bounded by count (the oldest goes first) and by age
 * ({@code logs_retention_seconds}, by the log's own time, else the time it was observed). Logs below
 * error severity are kept with probability {@code logs_sampling_ratio}; errors always are (upstream
 * samples errors too).
 *
 * <p>A stored log is a JSON object in upstream's shape (BUILTINS.md §11.2), never changed after it
 * is added; the fields the filters read are kept beside it.
 */
final class LogStore {

  static final int ERROR_SEVERITY = 17;

  /** One stored log and what the filters read of it. */
  record Entry(
      ObjectNode json,
      long timestampNanos,
      int severityNumber,
      String severityText,
      String traceId,
      String spanId,
      String serviceName,
      String workerName,
      String functionId,
      String body) {

    static Entry of(ObjectNode json) {
      long ts = json.path("timestamp_unix_nano").asLong(0);
      if (ts == 0) {
        ts = json.path("observed_timestamp_unix_nano").asLong(0); // OTLP: 0 means unknown
      }
      JsonNode attributes = json.path("attributes");
      return new Entry(
          json,
          ts,
          json.path("severity_number").asInt(0),
          json.path("severity_text").asText(""),
          json.path("trace_id").textValue(),
          json.path("span_id").textValue(),
          json.path("service_name").asText(""),
          firstText(attributes, "iii.worker.name", null),
          firstText(attributes, "iii.function.id", "function_id"),
          json.path("body").asText(""));
    }

    private static String firstText(JsonNode attributes, String key, String alternative) {
      JsonNode value = attributes.get(key);
      if ((value == null || !value.isTextual()) && alternative != null) {
        value = attributes.get(alternative);
      }
      return value != null && value.isTextual() ? value.textValue() : null;
    }
  }

  /**
   * The filters of {@code engine::logs::list}: upstream's (times in milliseconds, {@code
   * severity_min} a severity number, {@code severity_text} case-insensitive) and ours ({@code
   * service_name}, {@code worker}, {@code function_id}, {@code search} in the body, case-insensitive).
   */
  record Query(
      Long startMs,
      Long endMs,
      String traceId,
      String spanId,
      Integer severityMin,
      String severityText,
      String serviceName,
      String worker,
      String functionId,
      String search) {

    boolean matches(Entry e) {
      if (startMs != null && e.timestampNanos() < startMs * 1_000_000L) {
        return false;
      }
      if (endMs != null && e.timestampNanos() >= (endMs + 1) * 1_000_000L) { // the whole end millisecond is in
        return false;
      }
      if (traceId != null && !traceId.equals(e.traceId())) {
        return false;
      }
      if (spanId != null && !spanId.equals(e.spanId())) {
        return false;
      }
      if (severityMin != null && e.severityNumber() < severityMin) {
        return false;
      }
      if (severityText != null && !severityText.equalsIgnoreCase(e.severityText())) {
        return false;
      }
      if (serviceName != null && !serviceName.equals(e.serviceName())) {
        return false;
      }
      if (worker != null && !worker.equals(e.serviceName()) && !worker.equals(e.workerName())) {
        return false;
      }
      if (functionId != null && !functionId.equals(e.functionId())) {
        return false;
      }
      return search == null || containsIgnoreCase(e.body(), search);
    }

    private static boolean containsIgnoreCase(String text, String part) {
      int last = text.length() - part.length();
      for (int i = 0; i <= last; i++) {
        if (text.regionMatches(true, i, part, 0, part.length())) {
          return true;
        }
      }
      return false;
    }
  }

  /** A page of matching logs, newest first, and how many matched in all. */
  record Page(List<ObjectNode> logs, int total) {}

  private final int maxCount;
  private final long retentionNanos;
  private volatile double samplingRatio;
  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private final LongAdder sampledOut = new LongAdder();
  private final LongAdder evicted = new LongAdder();

  LogStore(long maxCount, long retentionSeconds, double samplingRatio, Clock clock) {
    this.maxCount = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(1, maxCount));
    this.retentionNanos =
        retentionSeconds > Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE : retentionSeconds * 1_000_000_000L;
    this.samplingRatio = samplingRatio;
    this.clock = clock;
  }

  /** {@code logs_sampling_ratio} is live. */
  void samplingRatio(double ratio) {
    samplingRatio = ratio;
  }

  /** Whether a log of this severity is kept, by {@code logs_sampling_ratio}; counts those that are not. */
  boolean sampled(int severityNumber) {
    if (severityNumber >= ERROR_SEVERITY || samplingRatio >= 1.0) {
      return true;
    }
    if (samplingRatio > 0 && ThreadLocalRandom.current().nextDouble() < samplingRatio) {
      return true;
    }
    sampledOut.increment();
    return false;
  }

  /** Stores a log that passed sampling. */
  void add(ObjectNode json) {
    Entry entry = Entry.of(json);
    long cutoff = cutoffNanos();
    lock.lock();
    try {
      entries.addLast(entry);
      // the cheap part of retention on every add; list() sweeps the whole buffer
      while (!entries.isEmpty() && (entries.size() > maxCount || entries.peekFirst().timestampNanos() < cutoff)) {
        entries.removeFirst();
        evicted.increment();
      }
    } finally {
      lock.unlock();
    }
  }

  Page list(Query query, long offset, Long limit) {
    long cutoff = cutoffNanos();
    List<Entry> matching = new ArrayList<>();
    lock.lock();
    try {
      // out of order timestamps (batched, backdated, skewed clocks) are why the whole buffer is swept
      for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
        Entry e = it.next();
        if (e.timestampNanos() < cutoff) {
          it.remove();
          evicted.increment();
        }
      }
      for (Iterator<Entry> it = entries.descendingIterator(); it.hasNext(); ) {
        Entry e = it.next();
        if (query.matches(e)) {
          matching.add(e);
        }
      }
    } finally {
      lock.unlock();
    }
    // newest first, as upstream; among equal times the latest arrival first (the sort is stable)
    matching.sort(Comparator.comparingLong(Entry::timestampNanos).reversed());
    List<ObjectNode> page = new ArrayList<>();
    long end = limit == null ? Long.MAX_VALUE : offset + Math.max(0, limit);
    for (long i = Math.max(0, offset); i < matching.size() && i < end; i++) {
      page.add(matching.get((int) i).json().deepCopy());
    }
    return new Page(page, matching.size());
  }

  /** How many logs were deleted. */
  int clear() {
    lock.lock();
    try {
      int n = entries.size();
      entries.clear();
      return n;
    } finally {
      lock.unlock();
    }
  }

  int size() {
    lock.lock();
    try {
      return entries.size();
    } finally {
      lock.unlock();
    }
  }

  long sampledOut() {
    return sampledOut.sum();
  }

  /** Logs dropped for age or for the count bound. */
  long evicted() {
    return evicted.sum();
  }

  private long cutoffNanos() {
    long now = clock.millis() * 1_000_000L;
    return retentionNanos >= now ? Long.MIN_VALUE : now - retentionNanos;
  }
}
