package io.linkly.app.clickstreamer;

import io.linkly.app.sql.SqlDatabase;
import io.linkly.app.link.LinkStore;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets the outbox flag of streamed clicks ({@code clicks.streamed = 1}) in batches: one UPDATE
 * per {@link #INTERVAL} for whatever was streamed meanwhile, not one transaction per click. A mark
 * that is lost (a crash, a failed UPDATE) only means the reconciler looks at that click again and
 * finds it on the stream already.
 */
final class StreamedMarks implements AutoCloseable {

  static final Duration INTERVAL = Duration.ofMillis(200);
  private static final int CHUNK = 500;
  private static final Logger log = LoggerFactory.getLogger(StreamedMarks.class);

  private final SqlDatabase db;
  private final ConcurrentLinkedQueue<String> pending = new ConcurrentLinkedQueue<>();
  private Thread writer;
  private volatile boolean closed;

  StreamedMarks(Iii iii) {
    this.db = new SqlDatabase(iii, LinkStore.DB);
  }

  void start() {
    writer = Thread.ofVirtual().name("click-streamer-marks").start(this::run);
  }

  /** The click with this row id is on the stream. */
  void add(String clickId) {
    pending.add(clickId);
  }

  private void run() {
    while (!closed) {
      try {
        Thread.sleep(INTERVAL.toMillis());
      } catch (InterruptedException e) {
        break;
      }
      flush();
    }
    flush();
  }

  /** Marks everything added so far; returns how many rows it marked. */
  int flush() {
    List<String> ids = new ArrayList<>();
    String id;
    while ((id = pending.poll()) != null) {
      ids.add(id);
    }
    for (int from = 0; from < ids.size(); from += CHUNK) {
      List<String> chunk = ids.subList(from, Math.min(ids.size(), from + CHUNK));
      try {
        mark(db, chunk);
      } catch (IiiException e) {
        log.warn("could not mark {} streamed clicks ({}); the reconciler will look at them again", chunk.size(), e.getMessage());
      }
    }
    return ids.size();
  }

  /** One UPDATE for these row ids. */
  static void mark(SqlDatabase db, List<String> ids) {
    if (ids.isEmpty()) {
      return;
    }
    String sql = "UPDATE clicks SET streamed = 1 WHERE id IN (" + String.join(", ", Collections.nCopies(ids.size(), "?")) + ")";
    List<Object> params = new ArrayList<>(ids.size());
    for (String id : ids) {
      params.add(Long.parseLong(id));
    }
    db.execute(sql, params);
  }

  @Override
  public void close() {
    closed = true;
    if (writer != null) {
      writer.interrupt();
    }
  }
}
