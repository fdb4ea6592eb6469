package io.linkly.iii.engine.workers.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The statement lexer: one statement per call, without being fooled by literals or comments. */
class StatementsTest {

  private static Statements.Single sqlite(String sql) throws DatabaseException {
    return Statements.single(Driver.SQLITE, sql);
  }

  private static Statements.Single postgres(String sql) throws DatabaseException {
    return Statements.single(Driver.POSTGRES, sql);
  }

  private static String innerCode(ThrowingSql sql) {
    try {
      sql.run();
    } catch (DatabaseException e) {
      return e.code() + "/" + e.body().path("inner_code").asText("null");
    }
    return "accepted";
  }

  @FunctionalInterface
  interface ThrowingSql {
    void run() throws DatabaseException;
  }

  @Test
  void aTrailingSemicolonAndTrailingCommentsAreDropped() throws Exception {
    assertThat(sqlite("SELECT 1;").sql()).isEqualTo("SELECT 1");
    assertThat(sqlite("  SELECT 1 ; ;  -- done\n").sql()).isEqualTo("SELECT 1");
    assertThat(sqlite("SELECT 1 /* c; d */").sql()).isEqualTo("SELECT 1");
    assertThat(sqlite(";SELECT 1").sql()).isEqualTo("SELECT 1");
  }

  @Test
  void semicolonsInsideLiteralsIdentifiersAndCommentsDoNotSplit() throws Exception {
    assertThat(sqlite("INSERT INTO t VALUES ('a;b', 'it''s; fine')").sql()).endsWith("fine')");
    assertThat(sqlite("SELECT \"odd;name\", `x;y`, [z;w] FROM t").firstWord()).isEqualTo("SELECT");
    assertThat(sqlite("SELECT 1 -- not; a split\n + 1").sql()).isEqualTo("SELECT 1 -- not; a split\n + 1");
    assertThat(sqlite("SELECT /* ; */ 2").sql()).isEqualTo("SELECT /* ; */ 2");
    assertThat(postgres("SELECT E'back\\'slash;' AS x").sql()).isEqualTo("SELECT E'back\\'slash;' AS x");
    assertThat(postgres("CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql").firstWord())
        .isEqualTo("CREATE");
    assertThat(postgres("SELECT $tag$ a; b $tag$").sql()).isEqualTo("SELECT $tag$ a; b $tag$");
    assertThat(postgres("SELECT 1 /* outer /* inner; */ still; comment */").sql()).isEqualTo("SELECT 1");
  }

  @Test
  void aTriggerBodyIsOneStatement() throws Exception {
    String trigger =
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO log VALUES (new.id); "
            + "UPDATE c SET n = CASE WHEN n IS NULL THEN 1 ELSE n + 1 END; END;";
    assertThat(sqlite(trigger).sql()).isEqualTo(trigger.substring(0, trigger.length() - 1));
  }

  @Test
  void twoStatementsAreMultiStatement() {
    assertThat(innerCode(() -> sqlite("INSERT INTO t VALUES (1); DELETE FROM t")))
        .isEqualTo("DRIVER_ERROR/MULTI_STATEMENT");
    assertThat(innerCode(() -> sqlite("SELECT 'a;'; SELECT 2"))).isEqualTo("DRIVER_ERROR/MULTI_STATEMENT");
    assertThat(innerCode(() -> postgres("SELECT 1; -- x\n SELECT 2"))).isEqualTo("DRIVER_ERROR/MULTI_STATEMENT");
    assertThat(innerCode(() -> sqlite("CREATE TABLE a (x); CREATE TABLE b (y)"))).isEqualTo("DRIVER_ERROR/MULTI_STATEMENT");
  }

  @Test
  void blankOrCommentOnlySqlIsEmpty() {
    for (String sql : List.of("", "   ", ";", " ; ; ", "-- nothing", "/* nothing */")) {
      assertThat(innerCode(() -> sqlite(sql))).as(sql).isEqualTo("DRIVER_ERROR/null");
    }
  }

  @Test
  void transactionControlIsRefused() {
    for (String sql : List.of("BEGIN", "begin immediate", "/* x */ COMMIT", "END;", "ROLLBACK", "SAVEPOINT a",
        "RELEASE a", "START TRANSACTION", "set transaction isolation level serializable")) {
      assertThat(innerCode(() -> sqlite(sql))).as(sql).startsWith("INVALID_PARAM");
    }
    assertThat(innerCode(() -> postgres("SET search_path TO x"))).isEqualTo("accepted");
  }

  @Test
  void firstWordAndTopLevelReturningAreFound() throws Exception {
    Statements.Single insert = sqlite("-- note\n insert into t (a) values (1) returning id");
    assertThat(insert.firstWord()).isEqualTo("INSERT");
    assertThat(insert.isInsert()).isTrue();
    assertThat(insert.hasReturning()).isTrue();
    assertThat(sqlite("REPLACE INTO t VALUES (1)").isInsert()).isTrue();
    assertThat(sqlite("UPDATE t SET a = 'returning'").hasReturning()).isFalse();
    assertThat(postgres("WITH x AS (DELETE FROM t RETURNING id) SELECT * FROM x").hasReturning()).isFalse();
  }

  @Test
  void returningColumnsAreQuotedIdentifiers() throws Exception {
    assertThat(Statements.withReturning("INSERT INTO t (a) VALUES (1)", List.of("id", "a")))
        .isEqualTo("INSERT INTO t (a) VALUES (1) RETURNING \"id\", \"a\"");
    assertThat(Statements.withReturning("DELETE FROM t", List.of("*"))).isEqualTo("DELETE FROM t RETURNING *");
    assertThatThrownBy(() -> Statements.withReturning("DELETE FROM t", List.of("id; DROP TABLE t")))
        .isInstanceOf(DatabaseException.class)
        .hasMessageContaining("INVALID_PARAM");
  }

  @Test
  void postgresNumberedPlaceholdersBecomeJdbcOnes() {
    Statements.Numbered n = Statements.numbered("SELECT $2, $1, '$3', $1 FROM t WHERE j ? 'k' AND \"$4\" = 1 -- $5 ?");
    assertThat(n.sql()).isEqualTo("SELECT ?, ?, '$3', ? FROM t WHERE j ?? 'k' AND \"$4\" = 1 -- $5 ?");
    assertThat(n.order()).containsExactly(1, 0, 0);
    assertThat(n.needed()).isEqualTo(2);
    assertThat(Statements.numbered("SELECT a$1 FROM t").needed()).isZero();
    assertThat(Statements.numbered("SELECT $$ $1 $$").needed()).isZero();
  }
}
