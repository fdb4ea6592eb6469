package io.linkly.iii.engine.workers.database;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.workers.database.OpenTransaction.State;
import io.linkly.iii.engine.workers.database.Params.Param;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Interactive transactions (LINKLY.md §6, {@code database::beginTransaction} and the calls that
 * use its id). Each pins one writer connection until it is committed, rolled back, or its timeout
 * passes, when it is rolled back here and the connection goes back to its pool.
 *
 * <p>A statement that fails in the database ends the transaction too (rolled back, and the error
 * says {@code rolled_back: true}): PostgreSQL refuses every later statement of a transaction once
 * one failed, and a {@code COMMIT} there would silently roll back, so both engines behave alike.
 * A call refused before it reaches the database (bad parameters, two statements) leaves the
 * transaction as it was. An id that is not open is {@code TRANSACTION_NOT_FOUND}, with the state
 * of a recently ended one.
 */
final class Transactions implements AutoCloseable {

  static final long DEFAULT_TIMEOUT_MS = 30_000;
  static final long MAX_TIMEOUT_MS = 300_000;

  private static final Logger log = LoggerFactory.getLogger(Transactions.class);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final int REMEMBERED_ENDINGS = 1_024;
  private static final long CLOSE_WAIT_MS = 1_000;

  /** One statement of a transaction, run on its connection under a watch. */
  @FunctionalInterface
  interface Work {
    ObjectNode run(Database db, Connection c, QueryTimer.Watch watch) throws SQLException, DatabaseException;
  }

  private final Operations operations;
  private final QueryTimer timer;
  private final Clock clock;
  private final LongSupplier nanoTime;
  private final Map<String, OpenTransaction> open = new ConcurrentHashMap<>();
  private final Map<String, State> ended =
      Collections.synchronizedMap(
          new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, State> eldest) {
              return size() > REMEMBERED_ENDINGS;
            }
          });

  Transactions(Operations operations, QueryTimer timer, Clock clock, LongSupplier nanoTime) {
    this.operations = operations;
    this.timer = timer;
    this.clock = clock;
    this.nanoTime = nanoTime;
  }

  /** {@code {transaction: {id, expires_at}}}: a connection is pinned and {@code BEGIN} has run on it. */
  ObjectNode begin(Database db, Operations.Isolation isolation, long timeoutMs) throws DatabaseException {
    if (!db.tryOpenTransaction()) {
      throw DatabaseErrors.tooManyTransactions(db.name(), db.transactionLimit());
    }
    Connection c;
    try {
      c = db.writer();
    } catch (DatabaseException e) {
      db.transactionEnded();
      throw e;
    }
    try (QueryTimer.Watch watch = timer.start(timeoutMs)) {
      Operations.run(c, watch, Operations.begin(db.driver(), isolation));
      watch.done();
    } catch (SQLException e) {
      release(db, c);
      throw DatabaseErrors.of(db.driver(), e);
    }
    OpenTransaction tx =
        new OpenTransaction(
            UUID.randomUUID().toString(), db, c, timeoutMs, nanoTime.getAsLong(), clock.instant().plusMillis(timeoutMs));
    open.put(tx.id(), tx);
    tx.expiry(timer.after(timeoutMs, () -> expire(tx)));
    ObjectNode out = NODES.objectNode();
    out.putObject("transaction")
        .put("id", tx.id())
        .put("expires_at", DateTimeFormatter.ISO_INSTANT.format(tx.expiresAt().truncatedTo(ChronoUnit.MILLIS)));
    return out;
  }

  /** The driver of the database the transaction runs on, to read its SQL before taking its lock. */
  Driver driver(String id) throws DatabaseException {
    return find(id).database().driver();
  }

  /** {@code database::transactionQuery}: {@code query}'s result shape, on the pinned connection. */
  ObjectNode query(String id, Statements.Single statement, List<Param> params) throws DatabaseException {
    return run(id, (db, c, watch) -> operations.queryOn(db, c, statement, params, watch), false);
  }

  /** {@code database::transactionExecute}: {@code execute}'s result shape, on the pinned connection. */
  ObjectNode execute(String id, Statements.Single statement, List<Param> params, List<String> returning)
      throws DatabaseException {
    return run(id, (db, c, watch) -> operations.executeOn(db, c, statement, params, returning, watch), false);
  }

  /** {@code {committed: true}}; a failed {@code COMMIT} rolls back and says so. */
  ObjectNode commit(String id) throws DatabaseException {
    return run(
        id,
        (db, c, watch) -> {
          Operations.run(c, watch, "COMMIT");
          watch.done();
          ObjectNode out = NODES.objectNode();
          out.put("committed", true);
          return out;
        },
        true);
  }

  /** {@code {rolled_back: true}}. */
  ObjectNode rollback(String id) throws DatabaseException {
    OpenTransaction tx = find(id);
    tx.lock().lock();
    try {
      requireOpen(tx);
      end(tx, State.ROLLED_BACK);
    } finally {
      tx.lock().unlock();
    }
    ObjectNode out = NODES.objectNode();
    out.put("rolled_back", true);
    return out;
  }

  /** Interactive transactions open now, on every database. */
  int openCount() {
    return open.size();
  }

  /**
   * Runs {@code work} as the transaction's next statement, within what is left of its timeout;
   * when {@code commits}, its success ends the transaction as committed.
   */
  private ObjectNode run(String id, Work work, boolean commits) throws DatabaseException {
    OpenTransaction tx = find(id);
    Database db = tx.database();
    tx.lock().lock();
    try {
      requireOpen(tx);
      long remaining = tx.remainingMs(nanoTime.getAsLong());
      if (remaining == 0) {
        end(tx, State.EXPIRED);
        throw DatabaseErrors.transactionNotFound(id, State.EXPIRED.wireName());
      }
      QueryTimer.Watch watch = timer.start(remaining);
      ObjectNode result;
      try {
        result = work.run(db, tx.connection(), watch);
      } catch (SQLException e) {
        watch.close(); // before the rollback: a late cancel must not interrupt it
        if (watch.expired()) {
          end(tx, State.EXPIRED);
          throw DatabaseErrors.queryTimeout(db.name(), tx.timeoutMs()).rolledBack();
        }
        DatabaseException failure = DatabaseErrors.of(db.driver(), e);
        end(tx, State.ROLLED_BACK);
        throw failure.rolledBack();
      } finally {
        watch.close();
      }
      if (commits) {
        end(tx, State.COMMITTED);
      }
      return result;
    } finally {
      tx.lock().unlock();
    }
  }

  private OpenTransaction find(String id) throws DatabaseException {
    OpenTransaction tx = open.get(id);
    if (tx == null) {
      State state = ended.get(id);
      throw DatabaseErrors.transactionNotFound(id, state == null ? "unknown" : state.wireName());
    }
    return tx;
  }

  /** Under the lock: the transaction may have ended while the caller waited for it. */
  private static void requireOpen(OpenTransaction tx) throws DatabaseException {
    if (tx.state() != State.OPEN) {
      throw DatabaseErrors.transactionNotFound(tx.id(), tx.state().wireName());
    }
  }

  /** The timeout passed: roll back and free the connection, unless the transaction ended first. */
  private void expire(OpenTransaction tx) {
    // A statement still running holds the lock; its own watch cancels it at the same deadline.
    tx.lock().lock();
    try {
      if (tx.state() == State.OPEN) {
        end(tx, State.EXPIRED);
        log.info("database {}: transaction {} rolled back after its timeout of {} ms", tx.database().name(), tx.id(), tx.timeoutMs());
      }
    } finally {
      tx.lock().unlock();
    }
  }

  /** Under the lock: ends the transaction (rolled back unless committed) and frees its connection. */
  private void end(OpenTransaction tx, State state) {
    tx.state(state);
    tx.cancelExpiry();
    open.remove(tx.id());
    ended.put(tx.id(), state);
    if (state != State.COMMITTED) {
      Operations.rollback(tx.database(), tx.connection());
    }
    release(tx.database(), tx.connection());
  }

  private static void release(Database db, Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      log.warn("database {}: returning a transaction's connection failed: {}", db.name(), e.getMessage());
    } finally {
      db.transactionEnded();
    }
  }

  /** Rolls back what is still open, so that every connection is back before the pools close. */
  @Override
  public void close() {
    for (OpenTransaction tx : open.values()) {
      boolean locked = false;
      try {
        locked = tx.lock().tryLock(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        if (locked && tx.state() == State.OPEN) {
          end(tx, State.ROLLED_BACK);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return; // closing the pool ends the rest
      } finally {
        if (locked) {
          tx.lock().unlock();
        }
      }
    }
  }
}
