package io.linkly.iii.engine.workers.database;

import io.linkly.iii.engine.core.Health;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * One configured database and its connections. SQLite allows one writer at a time, so a SQLite
 * database has a single writer connection (callers queue for it, up to {@code acquire_timeout_ms})
 * and a pool of {@code query_only} readers that WAL lets run beside it. PostgreSQL has one pool
 * for both.
 *
 * <p>An interactive transaction holds a writer connection from begin to end, so their number is
 * bounded: one on SQLite (it holds the only writer), half the pool on PostgreSQL (the other half
 * stays for everyone else's calls).
 */
final class Database implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Database.class);
  private static final long HIKARI_MIN_ACQUIRE_MS = 250; // Hikari replaces anything lower by 30 s
  private static final long HIKARI_MIN_IDLE_MS = 10_000; // and anything lower than this by 10 min

  private final String name;
  private final Driver driver;
  private final HikariDataSource readers;
  private final HikariDataSource writers;
  private final long acquireTimeoutMs;
  private final int transactionLimit;
  private final Semaphore transactionSlots;

  private Database(
      String name, Driver driver, HikariDataSource readers, HikariDataSource writers, long acquireTimeoutMs, int transactionLimit) {
    this.name = name;
    this.driver = driver;
    this.readers = readers;
    this.writers = writers;
    this.acquireTimeoutMs = acquireTimeoutMs;
    this.transactionLimit = transactionLimit;
    this.transactionSlots = new Semaphore(transactionLimit);
  }

  /** Opens the database; a SQLite file (and its directory) is created and switched to WAL now. */
  static Database open(DatabaseConfig.Entry entry) throws IOException, SQLException {
    return entry.sqlite() != null ? sqlite(entry) : postgres(entry);
  }

  String name() {
    return name;
  }

  Driver driver() {
    return driver;
  }

  /** True when reads run on other connections than writes (SQLite's readers). */
  boolean separateReaders() {
    return readers != writers;
  }

  Connection reader() throws DatabaseException {
    return acquire(readers);
  }

  Connection writer() throws DatabaseException {
    return acquire(writers);
  }

  /** How many interactive transactions may be open at once. */
  int transactionLimit() {
    return transactionLimit;
  }

  /** Takes a place for an interactive transaction; false when all {@link #transactionLimit} are taken. */
  boolean tryOpenTransaction() {
    return transactionSlots.tryAcquire();
  }

  /** Gives back the place an ended interactive transaction held. */
  void transactionEnded() {
    transactionSlots.release();
  }

  /** Failing when no connection can be had, or the one given does not answer within a second. */
  Health health() {
    try (Connection connection = writers.getConnection()) {
      return connection.isValid(1) ? Health.ok() : Health.failing("a connection did not answer within 1 s");
    } catch (SQLException e) {
      return Health.failing("cannot connect: " + e.getMessage());
    }
  }

  /** SQLite's {@code PRAGMA quick_check} findings on one line; empty when none, and for PostgreSQL. */
  Optional<String> damage() throws SQLException {
    if (driver != Driver.SQLITE) {
      return Optional.empty();
    }
    try (Connection connection = writers.getConnection()) {
      return QuickCheck.problems(connection);
    }
  }

  /** Drops a writer connection whose state is unknown (a failed rollback) instead of reusing it. */
  void evictWriter(Connection connection) {
    writers.evictConnection(connection);
  }

  private Connection acquire(HikariDataSource pool) throws DatabaseException {
    try {
      return pool.getConnection();
    } catch (SQLTransientConnectionException e) {
      if (e.getCause() instanceof SQLException cause) {
        log.warn("database {}: cannot connect: {}", name, cause.getMessage());
        throw DatabaseErrors.driver(driver, cause.getSQLState(), "pool connection failed; check server availability");
      }
      throw DatabaseErrors.poolTimeout(name, acquireTimeoutMs);
    } catch (SQLException e) {
      throw DatabaseErrors.of(driver, e);
    }
  }

  @Override
  public void close() {
    if (readers != writers) {
      readers.close();
    }
    writers.close();
  }

  // ------------------------------------------------------------------ SQLite

  private static Database sqlite(DatabaseConfig.Entry entry) throws IOException, SQLException {
    DatabaseConfig.Sqlite settings = entry.sqlite();
    Path file = settings.path().toAbsolutePath().normalize();
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    SQLiteConfig writerConfig = sqliteConfig(settings);
    writerConfig.setJournalMode(SQLiteConfig.JournalMode.WAL);
    writerConfig.setSynchronous(
        settings.synchronous() == DatabaseConfig.Synchronous.FULL
            ? SQLiteConfig.SynchronousMode.FULL
            : SQLiteConfig.SynchronousMode.NORMAL);
    HikariConfig writer = hikari(entry, "writer", sqliteSource(writerConfig, file));
    writer.setMaximumPoolSize(1);
    writer.setMinimumIdle(1);
    writer.setMaxLifetime(0); // nothing to recycle in a local file; keep the one writer
    writer.setIdleTimeout(0);
    writer.setInitializationFailTimeout(1); // open now: a bad path fails the engine's start

    HikariConfig reader = hikari(entry, "readers", sqliteSource(sqliteConfig(settings), file));
    reader.setConnectionInitSql("PRAGMA query_only = 1");
    reader.setMaximumPoolSize(entry.pool().max());
    reader.setMinimumIdle(0);

    HikariDataSource writers = start(writer);
    try {
      return new Database(entry.name(), Driver.SQLITE, start(reader), writers, entry.pool().acquireTimeoutMs(), 1);
    } catch (SQLException | RuntimeException e) {
      writers.close();
      throw e;
    }
  }

  private static SQLiteConfig sqliteConfig(DatabaseConfig.Sqlite settings) {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout((int) settings.busyTimeoutMs());
    config.enforceForeignKeys(true); // as upstream's bundled SQLite (SQLITE_DEFAULT_FOREIGN_KEYS=1)
    return config;
  }

  private static SQLiteDataSource sqliteSource(SQLiteConfig config, Path file) {
    SQLiteDataSource source = new SQLiteDataSource(config);
    source.setUrl("jdbc:sqlite:" + file);
    return source;
  }

  // ------------------------------------------------------------------ PostgreSQL

  private static Database postgres(DatabaseConfig.Entry entry) throws SQLException {
    PostgresUrl url = entry.postgres();
    HikariConfig config = hikari(entry, "pool", null);
    config.setDriverClassName("org.postgresql.Driver");
    config.setJdbcUrl(url.jdbcUrl());
    config.setDataSourceProperties(url.properties(entry.tls()));
    config.setMaximumPoolSize(entry.pool().max());
    config.setMinimumIdle(0);
    config.setInitializationFailTimeout(-1); // an unreachable server fails calls, not the engine
    HikariDataSource pool = start(config);
    return new Database(
        entry.name(), Driver.POSTGRES, pool, pool, entry.pool().acquireTimeoutMs(), Math.max(1, entry.pool().max() / 2));
  }

  // ------------------------------------------------------------------ pools

  private static HikariConfig hikari(DatabaseConfig.Entry entry, String role, javax.sql.DataSource source) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("iii-database-" + entry.name() + "-" + role);
    if (source != null) {
      config.setDataSource(source);
    }
    config.setConnectionTimeout(Math.max(HIKARI_MIN_ACQUIRE_MS, entry.pool().acquireTimeoutMs()));
    config.setIdleTimeout(Math.max(HIKARI_MIN_IDLE_MS, entry.pool().idleTimeoutMs()));
    return config;
  }

  private static HikariDataSource start(HikariConfig config) throws SQLException {
    try {
      return new HikariDataSource(config);
    } catch (RuntimeException e) {
      // Hikari wraps the driver's failure; the driver's own words are the useful part
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof SQLException driver) {
        throw driver;
      }
      throw new IllegalStateException(String.valueOf(cause.getMessage()), cause);
    }
  }
}
