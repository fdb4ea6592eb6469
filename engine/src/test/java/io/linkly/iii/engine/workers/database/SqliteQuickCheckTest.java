package io.linkly.iii.engine.workers.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.testing.DamagedSqlite;
import io.linkly.iii.engine.workers.StartupException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A damaged SQLite file is found at start ({@code PRAGMA quick_check}) instead of by some later query. */
class SqliteQuickCheckTest {

  @TempDir Path dir;

  @Test
  void aDamagedIndexRefusesTheStartNamingTheFile() throws Exception {
    Path file = dir.resolve("iii.db");
    DamagedSqlite.create(file);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement();
        ResultSet rows = s.executeQuery("SELECT COUNT(*) FROM links")) {
      rows.next();
      assertThat(rows.getInt(1)).as("the table still reads: only a check finds the damage").isEqualTo(50);
    }

    assertThatThrownBy(() -> IiiEngine.start(DatabaseWorkerTest.config(file)))
        .isInstanceOf(StartupException.class)
        .hasMessageStartingWith("database cannot use " + file + " (workers[")
        .hasMessageContaining(".config.databases.primary.url: damaged, PRAGMA quick_check found: ")
        .hasMessageContaining("of page ")
        .hasMessageEndingWith("; restore it from a backup)")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void anIntactDatabaseStarts() throws Exception {
    Path file = dir.resolve("iii.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE links (code TEXT PRIMARY KEY, url TEXT NOT NULL)");
      s.execute("CREATE INDEX links_url ON links (url)");
    }
    try (IiiEngine engine = IiiEngine.start(DatabaseWorkerTest.config(file))) {
      assertThat(engine.worker(DatabaseWorker.class)).isPresent();
    }
  }
}
