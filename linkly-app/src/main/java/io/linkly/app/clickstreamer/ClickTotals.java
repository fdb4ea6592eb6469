package io.linkly.app.clickstreamer;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.link.LinkStore;
import io.linkly.app.sql.SqlDatabase;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerRequest;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-link click totals on stream {@code clicks}, group {@code totals}: one item per link, item id
 * the code, data {@code {code, clicks, last_clicked_at}}. Every click that newly reaches the
 * stream adds one with {@code stream::update} (an atomic increment), so each change a subscriber
 * gets carries the absolute count; a dashboard can merge what it hears by taking the larger count.
 *
 * <p>The totals are seeded from the clicks table with absolute values at start, and again when an
 * increment failed or held clicks overflowed, so a total that drifted (a crash between a click's
 * item and its increment, a failed increment) is made good. {@link TotalsGate} keeps a click that
 * is streamed while a seed runs from being lost or counted twice. What stays approximate:
 * {@code last_clicked_at} is set by whichever increment lands last, which under concurrent clicks
 * of one link may be a few milliseconds older than the newest (the seed writes the true latest);
 * and a click announced without a row id (not by Linkly's link worker) cannot be placed against a
 * seed, so it is counted live even if the seed had counted it already, until the next seed.
 *
 * <p>Totals are kept for links that exist: a code with clicks but no link (a deleted link) gets no
 * item from a seed, and a seed deletes such an item.
 */
final class ClickTotals implements AutoCloseable {

  static final String GROUP = ClickStreamer.TOTALS_GROUP;
  /** Clicks held while a seed runs; past this they are dropped and a further seed counts them. */
  static final int MAX_HELD = 100_000;
  private static final Duration PATIENCE = Duration.ofMinutes(2);
  private static final Duration MAX_PAUSE = Duration.ofSeconds(2); // clicks wait for the seed: retry soon
  private static final Logger log = LoggerFactory.getLogger(ClickTotals.class);

  /**
   * One statement, so one snapshot: the highest row id, and per existing link its clicks and the
   * latest click, both as of that row id (SQLite has one writer and AUTOINCREMENT never goes back,
   * so a row committed after the snapshot has a higher id). Always one row at least: with no
   * clicks, code is null (on PostgreSQL, see {@link #snapshot}). The latest click is the largest ISO text, which is the latest instant
   * ({@link io.linkly.app.Timestamps}: always three fraction digits; rows written before that may
   * lack them at a whole second and sort a little late within it). Crawlers' clicks are not counted.
   */
  private static final String SNAPSHOT =
      "SELECT w.up_to AS up_to, t.code AS code, t.clicks AS clicks, t.last_clicked_at AS last_clicked_at"
          + " FROM (SELECT COALESCE(MAX(id), 0) AS up_to FROM clicks) w"
          + " LEFT JOIN (SELECT code, COUNT(*) AS clicks, MAX(clicked_at) AS last_clicked_at FROM clicks"
          + " WHERE bot = 0 AND code IN (SELECT code FROM links) GROUP BY code) t ON 1 = 1";

  private final Iii iii;
  private final TotalsGate gate = new TotalsGate(MAX_HELD);
  private final TotalIncrements increments = new TotalIncrements(this::increment);
  private final BlockingQueue<Boolean> seedWanted = new ArrayBlockingQueue<>(1);
  private final AtomicBoolean warnedIncrement = new AtomicBoolean();
  private final AtomicLong seeds = new AtomicLong();
  private final SqlDatabase db;
  private Thread seeder;
  private volatile boolean closed;

  ClickTotals(Iii iii) {
    this.iii = iii;
    this.db = new SqlDatabase(iii, LinkStore.DB);
  }

  void start() {
    requestSeed();
    seeder = Thread.ofVirtual().name("click-totals-seeder").start(this::run);
  }

  /** Counts a click whose item was just created on the stream ({@code clickId} null when unknown). */
  void count(String code, String clickedAt, String clickId) {
    TotalsGate.Click click = new TotalsGate.Click(code, clickedAt, rowId(clickId));
    if (gate.admit(click) != TotalsGate.Admission.COUNT) {
      return;
    }
    try {
      increments.add(code, clickedAt);
    } catch (IiiException e) {
      if (warnedIncrement.compareAndSet(false, true)) {
        log.warn("a click total could not be updated ({}); the totals are seeded again from the clicks table", e.getMessage());
      }
      requestSeed();
    } finally {
      gate.counted();
    }
  }

  private void increment(String code, long by, String clickedAt) {
    List<Map<String, Object>> ops =
        List.of(
            Map.of("type", "set", "path", "code", "value", code),
            Map.of("type", "increment", "path", "clicks", "by", by),
            Map.of("type", "set", "path", "last_clicked_at", "value", clickedAt));
    iii.trigger(TriggerRequest.of("stream::update", Map.of("stream_name", ClickStreamer.STREAM, "group_id", GROUP, "item_id", code, "ops", ops)));
  }

  /** Drops a deleted link's total; the seed leaves links that no longer exist out as well. */
  Map<String, Object> forget(String code) {
    iii.trigger(TriggerRequest.of("stream::delete", Map.of("stream_name", ClickStreamer.STREAM, "group_id", GROUP, "item_id", code)));
    return Map.of("forgotten", true);
  }

  void requestSeed() {
    seedWanted.offer(Boolean.TRUE); // one pending request covers any number of askers
  }

  private void run() {
    try {
      while (!closed) {
        seedWanted.take();
        seedUntilDone();
      }
    } catch (InterruptedException e) {
      // closing
    }
  }

  /** Seeds, retrying while the database or the stream cannot answer (at first start, no clicks table yet). */
  private void seedUntilDone() throws InterruptedException {
    long warnAfter = System.nanoTime() + PATIENCE.toNanos();
    boolean warned = false;
    Duration pause = Duration.ofMillis(100);
    while (!closed) {
      try {
        seed();
        return;
      } catch (RuntimeException e) { // an IiiException mostly; anything else must not end the seeder either
        if (!warned && System.nanoTime() > warnAfter) {
          log.warn("the click totals cannot be seeded ({}); live totals wait until they can", e.getMessage());
          warned = true;
        }
        Thread.sleep(pause.toMillis());
        pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
      }
    }
  }

  /** One seed; only ever run by the seeder thread, so that two seeds never overlap. */
  private void seed() throws InterruptedException {
    gate.beginSeed();
    JsonNode rows = snapshot();
    long upTo = rows.path(0).path("up_to").asLong();
    Map<String, JsonNode> stored = new HashMap<>();
    JsonNode listed = iii.trigger(TriggerRequest.of("stream::list", Map.of("stream_name", ClickStreamer.STREAM, "group_id", GROUP)));
    for (JsonNode item : listed == null ? List.<JsonNode>of() : listed) {
      if (item.path("code").isTextual()) {
        stored.put(item.get("code").textValue(), item);
      }
    }
    int written = 0;
    for (JsonNode row : rows) {
      if (row.path("code").isNull() || row.path("code").isMissingNode()) {
        continue;
      }
      String code = row.get("code").asText();
      long clicks = row.path("clicks").asLong();
      String last = row.path("last_clicked_at").asText(null);
      JsonNode now = stored.remove(code);
      if (now != null && now.path("clicks").asLong(-1) == clicks && Objects.equals(now.path("last_clicked_at").asText(null), last)) {
        continue; // no drift: no write, no event for every dashboard
      }
      iii.trigger(TriggerRequest.of("stream::set", Map.of("stream_name", ClickStreamer.STREAM, "group_id", GROUP, "item_id", code, "data", item(code, clicks, last))));
      written++;
    }
    for (String gone : stored.keySet()) { // a total of a link that no longer exists, or of no click at all
      iii.trigger(TriggerRequest.of("stream::delete", Map.of("stream_name", ClickStreamer.STREAM, "group_id", GROUP, "item_id", gone)));
      written++;
    }
    List<TotalsGate.Click> late = gate.endSeed(upTo);
    warnedIncrement.set(false);
    if (written > 0) {
      log.info("click totals seeded from the clicks table up to row {}: {} totals written", upTo, written);
    }
    applyLate(late);
    seeds.incrementAndGet();
    if (gate.takeOverflow()) {
      requestSeed();
    }
  }

  /**
   * The snapshot's rows. On PostgreSQL it is read in a transaction that first waits for the
   * click inserts in progress and holds new ones off until it is read, so that every click at or
   * below its highest row id is in it (see {@link SqlDialect}).
   */
  private JsonNode snapshot() {
    String lock = db.dialect().waitForWriters("clicks", false);
    if (lock == null) {
      return db.query(SNAPSHOT, List.of()).path("rows");
    }
    String transaction = db.begin(Duration.ofSeconds(30));
    try {
      db.executeIn(transaction, lock, List.of());
      return db.queryIn(transaction, SNAPSHOT, List.of()).path("rows");
    } finally {
      db.rollback(transaction); // it only read
    }
  }

  /** The clicks held during the seed that it did not count: one increment per link. */
  private void applyLate(List<TotalsGate.Click> late) {
    Map<String, long[]> counts = new LinkedHashMap<>();
    Map<String, String> latest = new HashMap<>();
    for (TotalsGate.Click c : late) {
      counts.computeIfAbsent(c.code(), k -> new long[1])[0]++;
      latest.merge(c.code(), c.clickedAt(), ClickTotals::later);
    }
    try {
      counts.forEach((code, n) -> increment(code, n[0], latest.get(code)));
    } catch (IiiException e) {
      log.warn("clicks streamed during a seed could not be added to their totals ({}); seeding again", e.getMessage());
      requestSeed();
    }
  }

  private static Map<String, Object> item(String code, long clicks, String lastClickedAt) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("code", code);
    data.put("clicks", clicks);
    data.put("last_clicked_at", lastClickedAt);
    return data;
  }

  /** The later of two click times; ISO-8601 instants (which may or may not carry a fraction). */
  static String later(String a, String b) {
    try {
      return Instant.parse(a).isBefore(Instant.parse(b)) ? b : a;
    } catch (DateTimeParseException | NullPointerException e) {
      return a == null || (b != null && b.compareTo(a) > 0) ? b : a;
    }
  }

  private static long rowId(String clickId) {
    if (clickId == null) {
      return -1;
    }
    try {
      return Long.parseLong(clickId);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Seeds written since start (for tests). */
  long seedsCompleted() {
    return seeds.get();
  }

  @Override
  public void close() {
    closed = true;
    if (seeder != null) {
      seeder.interrupt();
    }
  }
}
