package io.linkly.iii.engine.workers.database;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.Json;
import java.sql.SQLException;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.sqlite.SQLiteException;

/**
 * Upstream's error catalogue (LINKLY.md §6): each failure is a JSON body with a stable {@code code}
 * and the fields upstream serialises for it, in upstream's order. Driver failures carry
 * {@code inner_code}: for SQLite the rusqlite {@code ErrorCode} name of the primary result code
 * (such as {@code ConstraintViolation}), for PostgreSQL the SQLSTATE (such as {@code 23505}).
 */
final class DatabaseErrors {

  static final String POOL_TIMEOUT = "POOL_TIMEOUT";
  static final String QUERY_TIMEOUT = "QUERY_TIMEOUT";
  static final String UNKNOWN_DB = "UNKNOWN_DB";
  static final String INVALID_PARAM = "INVALID_PARAM";
  static final String DRIVER_ERROR = "DRIVER_ERROR";
  static final String MULTI_STATEMENT = "MULTI_STATEMENT";
  static final String TRANSACTION_NOT_FOUND = "TRANSACTION_NOT_FOUND";
  static final String TOO_MANY_TRANSACTIONS = "TOO_MANY_TRANSACTIONS";

  private DatabaseErrors() {}

  static DatabaseException unknownDb(String db) {
    return new DatabaseException(body(UNKNOWN_DB).put("db", db));
  }

  static DatabaseException poolTimeout(String db, long waitedMs) {
    return new DatabaseException(body(POOL_TIMEOUT).put("db", db).put("waited_ms", waitedMs));
  }

  static DatabaseException queryTimeout(String db, long timeoutMs) {
    return new DatabaseException(body(QUERY_TIMEOUT).put("db", db).put("timeout_ms", timeoutMs));
  }

  /**
   * No open interactive transaction has this id; {@code state} says why: {@code unknown}, or, for
   * one that ended lately, {@code committed}, {@code rolled_back} or {@code expired} (rolled back).
   */
  static DatabaseException transactionNotFound(String id, String state) {
    return new DatabaseException(body(TRANSACTION_NOT_FOUND).put("transaction_id", id).put("state", state));
  }

  static DatabaseException tooManyTransactions(String db, int limit) {
    return new DatabaseException(
        body(TOO_MANY_TRANSACTIONS)
            .put("db", db)
            .put("limit", limit)
            .put("message", limit + " interactive transactions are open on " + db + "; commit or roll one back first"));
  }

  static DatabaseException invalidParam(int index, String reason) {
    return new DatabaseException(body(INVALID_PARAM).put("index", index).put("reason", reason));
  }

  static DatabaseException driver(Driver driver, String innerCode, String message) {
    return new DatabaseException(
        body(DRIVER_ERROR).put("driver", driver.wireName()).put("inner_code", innerCode).put("message", message));
  }

  static DatabaseException emptySql(Driver driver) {
    return driver(driver, null, "empty SQL");
  }

  static DatabaseException multiStatement(Driver driver) {
    return driver(
        driver,
        MULTI_STATEMENT,
        "only a single statement is supported per call; split it into several calls or use database::transaction");
  }

  /** The count mismatch in the words of upstream's drivers (rusqlite, tokio-postgres). */
  static DatabaseException parameterCount(Driver driver, int given, int needed) {
    return driver(
        driver,
        null,
        driver == Driver.SQLITE
            ? "Wrong number of parameters passed to query. Got " + given + ", needed " + needed
            : "expected " + needed + " parameters but got " + given);
  }

  /** A failure the JDBC driver reported while running a statement. */
  static DatabaseException of(Driver driver, SQLException e) {
    return switch (driver) {
      case SQLITE -> driver(driver, sqliteInnerCode(e), sqliteMessage(e));
      case POSTGRES -> driver(driver, postgresInnerCode(e), postgresMessage(e));
    };
  }

  /** True when SQLite refused a write because the connection is a {@code query_only} reader. */
  static boolean isReadOnlyRejection(SQLException e) {
    return e instanceof SQLiteException && (e.getErrorCode() & 0xff) == 8;
  }

  private static ObjectNode body(String code) {
    return Json.object().put("code", code);
  }

  // ------------------------------------------------------------------ SQLite

  private static String sqliteInnerCode(SQLException e) {
    if (!(e instanceof SQLiteException)) {
      return null;
    }
    return switch (e.getErrorCode() & 0xff) {
      case 2 -> "InternalMalfunction";
      case 3 -> "PermissionDenied";
      case 4 -> "OperationAborted";
      case 5 -> "DatabaseBusy";
      case 6 -> "DatabaseLocked";
      case 7 -> "OutOfMemory";
      case 8 -> "ReadOnly";
      case 9 -> "OperationInterrupted";
      case 10 -> "SystemIoFailure";
      case 11 -> "DatabaseCorrupt";
      case 12 -> "NotFound";
      case 13 -> "DiskFull";
      case 14 -> "CannotOpen";
      case 15 -> "FileLockingProtocolFailed";
      case 17 -> "SchemaChanged";
      case 18 -> "TooBig";
      case 19 -> "ConstraintViolation";
      case 20 -> "TypeMismatch";
      case 21 -> "ApiMisuse";
      case 22 -> "NoLargeFileSupport";
      case 23 -> "AuthorizationForStatementDenied";
      case 25 -> "ParameterOutOfRange";
      case 26 -> "NotADatabase";
      default -> "Unknown"; // SQLITE_ERROR (syntax, missing table, …) is "Unknown" in rusqlite too
    };
  }

  /** sqlite-jdbc wraps SQLite's own text as "[CODE] description (text)"; upstream shows the text. */
  private static String sqliteMessage(SQLException e) {
    String message = String.valueOf(e.getMessage());
    if (e instanceof SQLiteException s && s.getResultCode() != null) {
      String prefix = s.getResultCode() + " (";
      if (message.startsWith(prefix) && message.endsWith(")")) {
        return message.substring(prefix.length(), message.length() - 1);
      }
    }
    return message;
  }

  // ------------------------------------------------------------------ PostgreSQL

  private static String postgresInnerCode(SQLException e) {
    String state = e.getSQLState();
    return state == null || state.isBlank() ? null : state;
  }

  /** The shape tokio-postgres prints: "db error: ERROR: text", then the DETAIL line if any. */
  private static String postgresMessage(SQLException e) {
    ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
    if (server == null || server.getMessage() == null) {
      return String.valueOf(e.getMessage());
    }
    StringBuilder out = new StringBuilder("db error: ");
    out.append(server.getSeverity() == null ? "ERROR" : server.getSeverity()).append(": ").append(server.getMessage());
    if (server.getDetail() != null) {
      out.append("\nDETAIL: ").append(server.getDetail());
    }
    if (server.getHint() != null) {
      out.append("\nHINT: ").append(server.getHint());
    }
    return out.toString();
  }
}
