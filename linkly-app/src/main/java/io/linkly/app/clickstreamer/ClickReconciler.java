package io.linkly.app.clickstreamer;

import io.linkly.app.sql.SqlDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.link.LinkStore;
import io.linkly.app.visit.Visit;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams the recorded clicks whose announcement never reached the stream: at start, every click
 * row not marked streamed; afterwards, every {@code interval}, the unmarked rows that were already
 * there at the previous sweep (a younger row's announcement may simply still be on its way).
 * A click found on the stream already is only marked; so each click becomes one item, crashes
 * included.
 */
final class ClickReconciler implements AutoCloseable {

  private static final int PAGE = 500;
  private static final Duration FIRST_PATIENCE = Duration.ofMinutes(2);
  private static final Logger log = LoggerFactory.getLogger(ClickReconciler.class);

  private final SqlDatabase db;
  private final ClickStreamer streamer;
  private final Duration interval;
  private Thread sweeper;
  private volatile boolean closed;

  ClickReconciler(Iii iii, ClickStreamer streamer, Duration interval) {
    this.db = new SqlDatabase(iii, LinkStore.DB);
    this.streamer = streamer;
    this.interval = interval;
  }

  void start() {
    sweeper = Thread.ofVirtual().name("click-reconciler").start(this::run);
  }

  private void run() {
    try {
      long upTo = firstMark();
      while (!closed) {
        long next = highestId();
        sweep(upTo);
        upTo = next;
        Thread.sleep(interval.toMillis());
      }
    } catch (InterruptedException e) {
      // closing
    } catch (RuntimeException e) {
      if (!closed) {
        log.error("the click reconciler stopped; lost announcements are repaired at the next start", e);
      }
    }
  }

  /** The highest row id at start, waiting while the link worker has not made the table yet. */
  private long firstMark() throws InterruptedException {
    long deadline = System.nanoTime() + FIRST_PATIENCE.toNanos();
    while (true) {
      try {
        return highestId();
      } catch (IiiException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }

  private long highestId() {
    JsonNode rows = query("SELECT COALESCE(MAX(id), 0) AS id FROM clicks WHERE streamed = 0", List.of());
    return rows.get(0).path("id").asLong();
  }

  /** Streams (or just marks) every unmarked click up to row {@code upTo}; returns how many it streamed. */
  int sweep(long upTo) {
    int streamed = 0;
    long after = 0;
    while (!closed) {
      JsonNode rows =
          query("SELECT id, code, clicked_at, referrer, browser, os, device, bot, ip FROM clicks WHERE streamed = 0 AND id > ? AND id <= ? ORDER BY id LIMIT " + PAGE, List.of(after, upTo));
      if (rows.isEmpty()) {
        break;
      }
      List<String> ids = new ArrayList<>(rows.size());
      for (JsonNode row : rows) {
        String id = row.path("id").asText();
        String code = row.path("code").asText();
        String clickedAt = row.path("clicked_at").asText();
        if (!streamer.isStreamed(code, clickedAt, id)) {
          streamer.stream(code, clickedAt, id, null, Visit.from(row));
          streamed++;
        }
        ids.add(id);
        after = row.path("id").asLong();
      }
      StreamedMarks.mark(db, ids);
    }
    if (streamed > 0) {
      log.info("streamed {} recorded clicks whose announcement had been lost", streamed);
    }
    return streamed;
  }

  private JsonNode query(String sql, List<Object> params) {
    return db.query(sql, params).path("rows");
  }

  @Override
  public void close() {
    closed = true;
    if (sweeper != null) {
      sweeper.interrupt();
    }
  }
}
