package io.linkly.app.sql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SqlDialectTest {

  @Test
  void postgresNumbersTheParametersInOrderAndLeavesQuotedQuestionMarksAlone() {
    assertThat(SqlDialect.POSTGRES.numbered("INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT (a) DO NOTHING"))
        .isEqualTo("INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT (a) DO NOTHING");
    assertThat(SqlDialect.POSTGRES.numbered("SELECT '?' AS q, \"a?\" FROM t WHERE x = ? AND y = 'it''s ?' AND z = ?"))
        .isEqualTo("SELECT '?' AS q, \"a?\" FROM t WHERE x = $1 AND y = 'it''s ?' AND z = $2");
  }

  @Test
  void sqliteKeepsQuestionMarks() {
    String sql = "SELECT url FROM links WHERE code = ?";
    assertThat(SqlDialect.SQLITE.numbered(sql)).isSameAs(sql);
  }

  @Test
  void onlyPostgresNeedsALockToReadUpToTheHighestId() {
    assertThat(SqlDialect.SQLITE.waitForWriters("clicks", false)).isNull();
    assertThat(SqlDialect.POSTGRES.waitForWriters("clicks", false)).isEqualTo("LOCK TABLE clicks IN SHARE MODE");
    assertThat(SqlDialect.POSTGRES.waitForWriters("links", true)).isEqualTo("LOCK TABLE links IN SHARE ROW EXCLUSIVE MODE");
  }
}
