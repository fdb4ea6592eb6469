package io.linkly.iii.engine.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A real SQLite database with a damaged index, as a disk or a stray write leaves one: the table
 * reads fine, {@code PRAGMA quick_check} does not. A random overwrite often lands in record text,
 * which quick_check does not decode, so this one hits a cell header: the payload-size varint of the
 * middle cell on the index's page.
 */
public final class DamagedSqlite {

  private static final int ROWS = 50; // few enough that the index is one leaf page: its root

  private DamagedSqlite() {}

  /** Creates {@code file} with a {@code links} table and an index on {@code url}, then damages the index. */
  public static void create(Path file) throws SQLException, IOException {
    int pageSize;
    int indexPage;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE links (code TEXT PRIMARY KEY, url TEXT NOT NULL)");
      s.execute("CREATE INDEX links_url ON links (url)");
      for (int i = 0; i < ROWS; i++) {
        s.execute("INSERT INTO links VALUES ('c" + i + "', 'https://example.com/" + i + "')");
      }
      pageSize = intOf(s, "PRAGMA page_size");
      indexPage = intOf(s, "SELECT rootpage FROM sqlite_master WHERE name = 'links_url'");
    }
    try (RandomAccessFile db = new RandomAccessFile(file.toFile(), "rw")) {
      long page = (long) (indexPage - 1) * pageSize;
      db.seek(page);
      if (db.readUnsignedByte() != 10) {
        throw new IllegalStateException("the index outgrew one leaf page; lower ROWS");
      }
      db.seek(page + 3);
      int cells = db.readUnsignedShort();
      db.seek(page + 8 + 2L * (cells / 2)); // the cell pointer array follows the 8-byte leaf header
      int cell = db.readUnsignedShort();
      db.seek(page + cell);
      db.write(0x7f); // the cell's payload size, now larger than the cell: it overlaps its neighbour
    }
  }

  private static int intOf(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
