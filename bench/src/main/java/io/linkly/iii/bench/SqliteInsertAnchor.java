package io.linkly.iii.bench;

import io.linkly.iii.protocol.Uuids;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;

/**
 * The storage ceiling of the click benchmark: inserts into a table shaped like Linkly's
 * {@code clicks} (same columns and indexes, WAL, {@code synchronous=FULL} as Linkly runs it), from
 * one thread over JDBC (the same SQLite library the engine uses): one row per transaction, then
 * 500 rows per transaction. Each phase runs for {@code rows} rows or {@code maxSeconds}, whichever
 * ends first, and prints its rate.
 *
 * <p>Usage: SqliteInsertAnchor rows maxSeconds directory
 */
public final class SqliteInsertAnchor {

  public static void main(String[] args) throws Exception {
    long rows = Long.parseLong(args[0]);
    long maxNanos = Long.parseLong(args[1]) * 1_000_000_000L;
    Path dir = Path.of(args[2]);
    Files.createDirectories(dir);
    for (int batch : new int[] {1, 500}) {
      Path file = dir.resolve("anchor-" + batch + ".db");
      Files.deleteIfExists(file);
      try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file)) {
        try (Statement s = db.createStatement()) {
          s.execute("PRAGMA journal_mode=WAL");
          s.execute("PRAGMA synchronous=FULL");
          s.execute("CREATE TABLE clicks (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL, clicked_at TEXT NOT NULL,"
              + " click_key TEXT, streamed INTEGER NOT NULL DEFAULT 1)");
          s.execute("CREATE UNIQUE INDEX clicks_click_key ON clicks (click_key)");
          s.execute("CREATE INDEX clicks_not_streamed ON clicks (id) WHERE streamed = 0");
        }
        db.setAutoCommit(false);
        long done = 0;
        long start = System.nanoTime();
        try (PreparedStatement insert = db.prepareStatement(
            "INSERT INTO clicks (code, clicked_at, click_key, streamed) VALUES (?, ?, ?, 0) ON CONFLICT (click_key) DO NOTHING RETURNING id")) {
          while (done < rows && System.nanoTime() - start < maxNanos) {
            for (int i = 0; i < batch && done < rows; i++, done++) {
              insert.setString(1, "bench");
              insert.setString(2, "2026-12-04T00:00:00.000Z");
              insert.setString(3, Uuids.timeOrdered(System.currentTimeMillis()).toString()); // as Linkly keys its clicks
              insert.executeQuery().close();
            }
            db.commit();
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("   sqlite anchor, %d row(s) per transaction: %d rows in %.1f s = %.0f rows/s%n", batch, done, seconds, done / seconds);
      }
    }
  }
}
