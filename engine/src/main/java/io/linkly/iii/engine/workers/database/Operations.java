package io.linkly.iii.engine.workers.database;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.workers.database.Params.Param;
import io.linkly.iii.engine.workers.database.ResultMapper.Column;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code database::query}, {@code database::execute} and {@code database::transaction} do
 * against one database, in blocking JDBC (callers run it on virtual threads). Result shapes are
 * upstream's; top-level keys come in the order upstream prints them.
 */
final class Operations {

  /** One statement of a transaction, already parsed. */
  record Step(String sql, List<Param> params) {}

  enum Isolation { READ_COMMITTED, REPEATABLE_READ, SERIALIZABLE }

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final QueryTimer timer;

  Operations(QueryTimer timer) {
    this.timer = timer;
  }

  // ------------------------------------------------------------------ query

  /**
   * {@code {columns, row_count, rows}}. On SQLite it runs on a read-only connection; a statement
   * that turns out to write (an {@code INSERT … RETURNING} sent as a query) is refused there before
   * it changes anything, and runs again on the writer.
   */
  ObjectNode query(Database db, Statements.Single statement, List<Param> params, long timeoutMs)
      throws DatabaseException {
    try (Connection c = db.reader()) {
      return runQuery(db, c, statement, params, timeoutMs);
    } catch (SQLException e) {
      if (!(db.separateReaders() && DatabaseErrors.isReadOnlyRejection(e))) {
        throw DatabaseErrors.of(db.driver(), e);
      }
    }
    try (Connection c = db.writer()) {
      return runQuery(db, c, statement, params, timeoutMs);
    } catch (SQLException e) {
      throw DatabaseErrors.of(db.driver(), e);
    }
  }

  private ObjectNode runQuery(Database db, Connection c, Statements.Single statement, List<Param> params, long timeoutMs)
      throws SQLException, DatabaseException {
    try (QueryTimer.Watch watch = timer.start(timeoutMs)) {
      try {
        return queryOn(db, c, statement, params, watch);
      } catch (SQLException e) {
        if (watch.expired()) {
          throw DatabaseErrors.queryTimeout(db.name(), timeoutMs);
        }
        throw e;
      }
    }
  }

  /**
   * {@code {columns, row_count, rows}} from {@code c} under {@code watch}: the statement it runs is
   * cancelled when the watch expires. Shared by {@code query} and an interactive transaction.
   */
  ObjectNode queryOn(Database db, Connection c, Statements.Single statement, List<Param> params, QueryTimer.Watch watch)
      throws SQLException, DatabaseException {
    ResultMapper mapper = new ResultMapper(db.driver());
    try (PreparedStatement ps = prepare(db, c, statement.sql(), params)) {
      watch.track(ps);
      List<Column> columns = List.of();
      ArrayNode rows = NODES.arrayNode();
      if (ps.execute()) {
        try (ResultSet rs = ps.getResultSet()) {
          columns = mapper.columns(ps, rs);
          while (rs.next()) {
            rows.add(mapper.object(rs, columns));
          }
        }
      }
      watch.done();
      ObjectNode out = NODES.objectNode();
      out.set("columns", ResultMapper.toJson(columns));
      out.put("row_count", rows.size());
      out.set("rows", rows);
      return out;
    }
  }

  // ------------------------------------------------------------------ execute

  /**
   * {@code {affected_rows, last_insert_id, returned_rows}}. A non-empty {@code returning} adds a
   * {@code RETURNING} clause unless the SQL has one; when rows come back, {@code affected_rows}
   * counts them. {@code last_insert_id} is set for an INSERT that inserted: SQLite's
   * {@code last_insert_rowid()}, PostgreSQL's first returned column.
   */
  ObjectNode execute(Database db, Statements.Single statement, List<Param> params, List<String> returning, long timeoutMs)
      throws DatabaseException {
    try (Connection c = db.writer(); QueryTimer.Watch watch = timer.start(timeoutMs)) {
      try {
        return executeOn(db, c, statement, params, returning, watch);
      } catch (SQLException e) {
        if (watch.expired()) {
          throw DatabaseErrors.queryTimeout(db.name(), timeoutMs);
        }
        throw e;
      }
    } catch (SQLException e) {
      throw DatabaseErrors.of(db.driver(), e);
    }
  }

  /** {@code execute} on {@code c} under {@code watch}; shared with an interactive transaction. */
  ObjectNode executeOn(
      Database db, Connection c, Statements.Single statement, List<Param> params, List<String> returning, QueryTimer.Watch watch)
      throws SQLException, DatabaseException {
    String sql =
        returning.isEmpty() || statement.hasReturning()
            ? statement.sql()
            : Statements.withReturning(statement.sql(), returning);
    try (PreparedStatement ps = prepare(db, c, sql, params)) {
      watch.track(ps);
      ArrayNode returned = NODES.arrayNode();
      long affected;
      if (ps.execute()) {
        ResultMapper mapper = new ResultMapper(db.driver());
        try (ResultSet rs = ps.getResultSet()) {
          List<Column> columns = mapper.columns(ps, rs);
          while (rs.next()) {
            returned.add(mapper.object(rs, columns));
          }
        }
        affected = returned.size();
      } else {
        affected = Math.max(0, ps.getLargeUpdateCount());
      }
      watch.done();
      String lastInsertId = statement.isInsert() && affected > 0 ? lastInsertId(db, c, returned) : null;
      ObjectNode out = NODES.objectNode();
      out.put("affected_rows", affected);
      out.put("last_insert_id", lastInsertId);
      out.set("returned_rows", returned);
      return out;
    }
  }

  private static String lastInsertId(Database db, Connection c, ArrayNode returned) throws SQLException {
    if (db.driver() == Driver.POSTGRES) {
      if (returned.isEmpty()) {
        return null;
      }
      JsonNode first = returned.get(0).elements().hasNext() ? returned.get(0).elements().next() : null;
      return first != null && (first.isIntegralNumber() || first.isTextual()) ? first.asText() : null;
    }
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT last_insert_rowid()")) {
      long id = rs.next() ? rs.getLong(1) : 0;
      return id == 0 ? null : Long.toString(id);
    }
  }

  // ------------------------------------------------------------------ transaction

  /**
   * {@code {committed: true, results: [{affected_rows, rows: [[…]]}]}}, or after a rollback
   * {@code {committed: false, error, failed_index?}}: a failure once the call reached the database
   * (including waiting for a connection) is a result, not a thrown error, as upstream.
   * {@code failed_index} names the statement that failed; DRIVER_ERROR bodies carry it too.
   */
  ObjectNode transaction(Database db, List<Step> steps, Isolation isolation, long timeoutMs) {
    Connection c;
    try {
      c = db.writer();
    } catch (DatabaseException e) {
      return failed(e, -1);
    }
    int current = -1;
    // a statement repeated in the transaction (a batch of the same INSERT) is prepared once
    Map<String, Prepared> prepared = new HashMap<>();
    try (c; QueryTimer.Watch watch = timer.start(timeoutMs); Closer closer = () -> closeAll(prepared)) {
      try {
        run(c, watch, begin(db.driver(), isolation));
        ArrayNode results = NODES.arrayNode(steps.size());
        ResultMapper mapper = new ResultMapper(db.driver());
        for (int i = 0; i < steps.size(); i++) {
          current = i;
          if (watch.expired()) {
            throw DatabaseErrors.queryTimeout(db.name(), timeoutMs);
          }
          results.add(step(db, c, watch, mapper, steps.get(i), prepared));
        }
        current = -1;
        run(c, watch, "COMMIT");
        watch.done();
        ObjectNode out = NODES.objectNode();
        out.put("committed", true);
        out.set("results", results);
        return out;
      } catch (SQLException e) {
        DatabaseException failure =
            watch.expired() ? DatabaseErrors.queryTimeout(db.name(), timeoutMs) : DatabaseErrors.of(db.driver(), e);
        watch.done();
        rollback(db, c);
        return failed(current < 0 ? failure : failure.atStatement(current), current);
      } catch (DatabaseException e) {
        watch.done();
        rollback(db, c);
        return failed(current < 0 ? e : e.atStatement(current), current);
      }
    } catch (SQLException e) {
      return failed(DatabaseErrors.of(db.driver(), e), -1); // returning the connection failed
    }
  }

  /** Closes what a transaction prepared; its close cannot fail the transaction. */
  @FunctionalInterface
  private interface Closer extends AutoCloseable {
    @Override
    void close();
  }

  private static void closeAll(Map<String, Prepared> prepared) {
    for (Prepared p : prepared.values()) {
      try {
        p.statement().close();
      } catch (SQLException e) {
        // the connection goes back to the pool and is reset there
      }
    }
  }

  /** The transaction's statement for {@code sql}, prepared on its first use. */
  private static Prepared prepared(Database db, Connection c, String sql, Map<String, Prepared> cache)
      throws SQLException, DatabaseException {
    Prepared known = cache.get(sql);
    if (known != null) {
      return known;
    }
    Prepared made = Prepared.of(db.driver(), c, Statements.single(db.driver(), sql).sql());
    cache.put(sql, made);
    return made;
  }

  private ObjectNode step(
      Database db, Connection c, QueryTimer.Watch watch, ResultMapper mapper, Step step, Map<String, Prepared> cache)
      throws SQLException, DatabaseException {
    PreparedStatement ps = prepared(db, c, step.sql(), cache).bind(db.driver(), step.params());
    watch.track(ps);
    ArrayNode rows = NODES.arrayNode();
    long affected;
    if (ps.execute()) {
      try (ResultSet rs = ps.getResultSet()) {
        List<Column> columns = mapper.columns(ps, rs);
        while (rs.next()) {
          rows.add(mapper.array(rs, columns));
        }
      }
      affected = rows.size();
    } else {
      affected = Math.max(0, ps.getLargeUpdateCount());
    }
    ObjectNode out = NODES.objectNode();
    out.put("affected_rows", affected);
    out.set("rows", rows);
    return out;
  }

  static String begin(Driver driver, Isolation isolation) {
    if (driver == Driver.SQLITE) {
      // SQLite transactions are serializable anyway; IMMEDIATE takes the write lock up front
      return isolation == Isolation.SERIALIZABLE ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED";
    }
    if (isolation == null) {
      return "BEGIN";
    }
    return switch (isolation) {
      case READ_COMMITTED -> "BEGIN ISOLATION LEVEL READ COMMITTED";
      case REPEATABLE_READ -> "BEGIN ISOLATION LEVEL REPEATABLE READ";
      case SERIALIZABLE -> "BEGIN ISOLATION LEVEL SERIALIZABLE";
    };
  }

  static void run(Connection c, QueryTimer.Watch watch, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      watch.track(s);
      s.execute(sql);
    }
  }

  /** Rolls back; a connection that cannot say where it stands is dropped, not reused. */
  static void rollback(Database db, Connection c) {
    try (Statement s = c.createStatement()) {
      s.execute("ROLLBACK");
    } catch (SQLException e) {
      if (!String.valueOf(e.getMessage()).contains("no transaction is active")) {
        db.evictWriter(c); // SQLite may already have rolled back (after an interrupt); anything else is unknown
      }
    }
  }

  private static ObjectNode failed(DatabaseException e, int index) {
    ObjectNode out = NODES.objectNode();
    out.put("committed", false);
    out.set("error", e.body());
    if (index >= 0) {
      out.put("failed_index", index);
    }
    return out;
  }

  // ------------------------------------------------------------------ statements

  /** Prepares and binds, after checking the parameter count as upstream's drivers do. */
  private static PreparedStatement prepare(Database db, Connection c, String sql, List<Param> params)
      throws SQLException, DatabaseException {
    Prepared prepared = Prepared.of(db.driver(), c, sql);
    try {
      return prepared.bind(db.driver(), params);
    } catch (SQLException | DatabaseException | RuntimeException e) {
      prepared.statement().close();
      throw e;
    }
  }

  /**
   * A prepared statement and how many parameters it takes; {@code order} maps PostgreSQL's
   * {@code $n} placeholders to parameters (null for SQLite's {@code ?}). A transaction binds one
   * many times (a batch of the same INSERT is prepared once).
   */
  private record Prepared(PreparedStatement statement, int needed, int[] order) {

    static Prepared of(Driver driver, Connection c, String sql) throws SQLException {
      if (driver == Driver.POSTGRES) {
        Statements.Numbered numbered = Statements.numbered(sql);
        return new Prepared(c.prepareStatement(numbered.sql()), numbered.needed(), numbered.order());
      }
      PreparedStatement ps = c.prepareStatement(sql);
      try {
        return new Prepared(ps, ps.getParameterMetaData().getParameterCount(), null);
      } catch (SQLException | RuntimeException e) {
        ps.close();
        throw e;
      }
    }

    PreparedStatement bind(Driver driver, List<Param> params) throws SQLException, DatabaseException {
      if (needed != params.size()) {
        throw DatabaseErrors.parameterCount(driver, params.size(), needed);
      }
      statement.clearParameters();
      if (order != null) {
        Params.bindPostgres(statement, params, order);
      } else {
        Params.bindSqlite(statement, params);
      }
      return statement;
    }
  }
}
