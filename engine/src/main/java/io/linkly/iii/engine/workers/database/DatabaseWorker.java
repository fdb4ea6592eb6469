package io.linkly.iii.engine.workers.database;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.DataDirectory;
import io.linkly.iii.engine.workers.EngineContext;
import io.linkly.iii.engine.workers.Input;
import io.linkly.iii.engine.workers.StartupException;
import io.linkly.iii.protocol.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code database} worker (LINKLY.md §6), in-process: {@code database::query},
 * {@code database::execute} and {@code database::transaction} over SQLite files and PostgreSQL,
 * with upstream's payloads, result shapes and error codes, and the interactive transactions of the
 * newer registry worker ({@code database::beginTransaction}, {@code transactionQuery},
 * {@code transactionExecute}, {@code commitTransaction}, {@code rollbackTransaction}; see
 * {@link Transactions}). Every JDBC call runs on the engine's virtual threads, never on an event
 * loop.
 *
 * <p>Errors: the wire error's {@code code} is upstream's ({@code UNKNOWN_DB}, {@code DRIVER_ERROR},
 * {@code QUERY_TIMEOUT}, {@code POOL_TIMEOUT}, {@code INVALID_PARAM}) and its {@code message} is
 * upstream's whole JSON body, e.g. {@code {"code":"DRIVER_ERROR","driver":"sqlite",
 * "inner_code":"ConstraintViolation","message":"UNIQUE constraint failed: links.code"}}, so
 * {@code inner_code} and {@code failed_index} reach the caller. A malformed payload is
 * {@code deserialization_error}, as for every built-in.
 */
public final class DatabaseWorker implements BuiltinWorker {

  public static final String NAME = "database";

  private static final Logger log = LoggerFactory.getLogger(DatabaseWorker.class);
  private static final long DEFAULT_TIMEOUT_MS = 30_000;

  private final DatabaseConfig config;
  /** Where the block was configured, such as {@code workers[3].config}, to name a key in errors. */
  private final String configPath;
  private final Map<String, Database> databases = new LinkedHashMap<>();
  private QueryTimer timer;
  private Operations operations;
  private Transactions transactions;

  public DatabaseWorker(DatabaseConfig config, String configPath) {
    this.config = config;
    this.configPath = configPath;
  }

  public static DatabaseWorker fromConfig(WorkerEntry entry) throws ConfigException {
    ConfigBlock block = ConfigBlock.of(entry);
    return new DatabaseWorker(DatabaseConfig.from(block), block.path());
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void start(EngineContext context) throws Exception {
    for (DatabaseConfig.Entry entry : config.databases().values()) {
      try {
        databases.put(entry.name(), open(entry));
        log.info("database {} ready ({})", entry.name(), entry.safeUrl());
      } catch (Exception e) {
        close();
        throw e;
      }
    }
    for (Database database : databases.values()) {
      context.engine().registerHealthCheck("database:" + database.name(), database::health);
    }
    timer = new QueryTimer(context.blocking());
    operations = new Operations(timer);
    transactions = new Transactions(operations, timer, context.clock(), System::nanoTime);
    Engine engine = context.engine();
    Worker self = engine.registerBuiltinWorker(NAME);
    Executor blocking = context.blocking();
    engine.registerFunction(
        self,
        definition("database::query", "Run a read-only SQL query and return the result rows.", Schemas.QUERY_REQUEST, Schemas.QUERY_RESPONSE),
        BuiltinFunction.blocking(blocking, this::query));
    engine.registerFunction(
        self,
        definition("database::execute", "Run a write statement (INSERT/UPDATE/DELETE/DDL).", Schemas.EXECUTE_REQUEST, Schemas.EXECUTE_RESPONSE),
        BuiltinFunction.blocking(blocking, this::execute));
    engine.registerFunction(
        self,
        definition("database::transaction", "Run a sequence of statements atomically.", Schemas.TRANSACTION_REQUEST, Schemas.TRANSACTION_RESPONSE),
        BuiltinFunction.blocking(blocking, this::transaction));
    engine.registerFunction(
        self,
        definition("database::beginTransaction", "Open an interactive transaction; its connection is held until commit, rollback or timeout.",
            Schemas.BEGIN_REQUEST, Schemas.BEGIN_RESPONSE),
        BuiltinFunction.blocking(blocking, this::beginTransaction));
    engine.registerFunction(
        self,
        definition("database::transactionQuery", "Run a query inside an interactive transaction.",
            Schemas.TRANSACTION_QUERY_REQUEST, Schemas.QUERY_RESPONSE),
        BuiltinFunction.blocking(blocking, this::transactionQuery));
    engine.registerFunction(
        self,
        definition("database::transactionExecute", "Run a write statement inside an interactive transaction.",
            Schemas.TRANSACTION_EXECUTE_REQUEST, Schemas.EXECUTE_RESPONSE),
        BuiltinFunction.blocking(blocking, this::transactionExecute));
    engine.registerFunction(
        self,
        definition("database::commitTransaction", "Commit an interactive transaction.",
            Schemas.TRANSACTION_ID_REQUEST, Schemas.COMMIT_RESPONSE),
        BuiltinFunction.blocking(blocking, this::commitTransaction));
    engine.registerFunction(
        self,
        definition("database::rollbackTransaction", "Roll back an interactive transaction.",
            Schemas.TRANSACTION_ID_REQUEST, Schemas.ROLLBACK_RESPONSE),
        BuiltinFunction.blocking(blocking, this::rollbackTransaction));
  }

  /**
   * Opens one database. A SQLite file that cannot be created or opened, or that {@code PRAGMA
   * quick_check} finds damaged, is the machine's problem, not a bug: it is reported in one line
   * naming the file and the key that chose it.
   */
  private Database open(DatabaseConfig.Entry entry) throws Exception {
    if (entry.sqlite() == null) {
      try {
        return Database.open(entry);
      } catch (Exception e) {
        throw new IllegalStateException("database '" + entry.name() + "' (" + entry.safeUrl() + "): " + e.getMessage(), e);
      }
    }
    Path file = entry.sqlite().path().toAbsolutePath().normalize();
    String key = configPath + ".databases." + entry.name() + ".url";
    DataDirectory.require(NAME, file.getParent(), file, key);
    Database database;
    Optional<String> damage;
    try {
      database = Database.open(entry);
    } catch (IOException | SQLException e) {
      throw StartupException.cannotUse(NAME, file, key, e.getMessage(), e);
    }
    try {
      damage = database.damage();
    } catch (SQLException e) {
      database.close();
      throw StartupException.cannotUse(NAME, file, key, "damaged: " + e.getMessage(), e);
    }
    if (damage.isPresent()) {
      // Refused, not repaired: which rows a damaged page held is not knowable from here.
      database.close();
      throw StartupException.cannotUse(
          NAME, file, key, "damaged, PRAGMA quick_check found: " + damage.get() + "; restore it from a backup");
    }
    return database;
  }

  private static FunctionDefinition definition(String id, String description, String request, String response) {
    return FunctionDefinition.of(id, description).withRequestFormat(schema(request)).withResponseFormat(schema(response));
  }

  private static JsonNode schema(String text) {
    try {
      return Json.mapper().readTree(text);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("bad built-in schema: " + text, e);
    }
  }

  // ------------------------------------------------------------------ functions

  private JsonNode query(Call call) {
    Input in = Input.of(call);
    String db = in.requiredString("db");
    String sql = in.requiredString("sql");
    JsonNode params = in.optionalArray("params");
    long timeoutMs = timeout(in);
    try {
      Database database = database(db);
      Statements.Single statement = Statements.single(database.driver(), sql);
      return operations.query(database, statement, Params.of(params), timeoutMs);
    } catch (DatabaseException e) {
      throw e.toInvocation();
    }
  }

  private JsonNode execute(Call call) {
    Input in = Input.of(call);
    String db = in.requiredString("db");
    String sql = in.requiredString("sql");
    JsonNode params = in.optionalArray("params");
    List<String> returning = in.optionalStrings("returning");
    long timeoutMs = timeout(in);
    try {
      Database database = database(db);
      Statements.Single statement = Statements.single(database.driver(), sql);
      return operations.execute(
          database, statement, Params.of(params), returning == null ? List.of() : returning, timeoutMs);
    } catch (DatabaseException e) {
      throw e.toInvocation();
    }
  }

  private JsonNode transaction(Call call) {
    Input in = Input.of(call);
    String db = in.requiredString("db");
    List<Input> statements = in.requiredObjects("statements");
    String isolation = in.optionalString("isolation");
    long timeoutMs = timeout(in);
    List<String> sqls = new ArrayList<>();
    List<JsonNode> paramLists = new ArrayList<>();
    for (Input statement : statements) {
      sqls.add(statement.requiredString("sql"));
      paramLists.add(statement.optionalArray("params"));
    }
    try {
      Database database = database(db);
      Operations.Isolation level = isolation(isolation);
      List<Operations.Step> steps = new ArrayList<>();
      for (int i = 0; i < sqls.size(); i++) {
        steps.add(new Operations.Step(sqls.get(i), Params.of(paramLists.get(i))));
      }
      return operations.transaction(database, steps, level, timeoutMs);
    } catch (DatabaseException e) {
      throw e.toInvocation();
    }
  }

  // ------------------------------------------------------------------ interactive transactions

  private JsonNode beginTransaction(Call call) {
    Input in = Input.of(call);
    String db = in.requiredString("db");
    String isolation = in.optionalString("isolation");
    Long timeout = in.optionalLong("timeout_ms");
    try {
      Database database = database(db);
      Operations.Isolation level = isolation(isolation);
      long timeoutMs = timeout == null ? Transactions.DEFAULT_TIMEOUT_MS : timeout;
      if (timeoutMs < 1 || timeoutMs > Transactions.MAX_TIMEOUT_MS) {
        throw DatabaseErrors.invalidParam(0, "timeout_ms must be 1 to " + Transactions.MAX_TIMEOUT_MS + ", got " + timeoutMs);
      }
      return transactions.begin(database, level, timeoutMs);
    } catch (DatabaseException e) {
      throw e.toInvocation();
    }
  }

  private JsonNode transactionQuery(Call call) {
    Input in = Input.of(call);
    String id = in.requiredString("transaction_id");
    String sql = in.requiredString("sql");
    JsonNode params = in.optionalArray("params");
    try {
      Statements.Single statement = Statements.single(transactions.driver(id), sql);
      return transactions.query(id, statement, Params.of(params));
    } catch (DatabaseException e) {
      throw e.toInvocation();
    }
  }

  private JsonNode transactionExecute(Call call) {
    Input in = Input.of(call);
    String id = in.requiredString("transaction_id");
    String sql = in.requiredString("sql");
    JsonNode params = in.optionalArray("params");
    List<String> returning = in.optionalStrings("returning");
    try {
      Statements.Single statement = Statements.single(transactions.driver(id), sql);
      return transactions.execute(id, statement, Params.of(params), returning == null ? List.of() : returning);
    } catch (DatabaseException e) {
      throw e.toInvocation();
    }
  }

  private JsonNode commitTransaction(Call call) {
    String id = Input.of(call).requiredString("transaction_id");
    try {
      return transactions.commit(id);
    } catch (DatabaseException e) {
      throw e.toInvocation();
    }
  }

  private JsonNode rollbackTransaction(Call call) {
    String id = Input.of(call).requiredString("transaction_id");
    try {
      return transactions.rollback(id);
    } catch (DatabaseException e) {
      throw e.toInvocation();
    }
  }

  private Database database(String name) throws DatabaseException {
    Database database = databases.get(name);
    if (database == null) {
      throw DatabaseErrors.unknownDb(name);
    }
    return database;
  }

  private static long timeout(Input in) {
    Long timeout = in.optionalLong("timeout_ms");
    if (timeout == null) {
      return DEFAULT_TIMEOUT_MS;
    }
    if (timeout < 0) {
      throw in.error("invalid value: integer `" + timeout + "`, expected u64 (field `timeout_ms`)");
    }
    return timeout;
  }

  private static Operations.Isolation isolation(String name) throws DatabaseException {
    if (name == null) {
      return null;
    }
    return switch (name) {
      case "read_committed" -> Operations.Isolation.READ_COMMITTED;
      case "repeatable_read" -> Operations.Isolation.REPEATABLE_READ;
      case "serializable" -> Operations.Isolation.SERIALIZABLE;
      default -> throw DatabaseErrors.invalidParam(0, "unknown isolation `" + name + "`");
    };
  }

  @Override
  public void close() {
    if (transactions != null) {
      transactions.close(); // every pinned connection back before the pools close
    }
    if (timer != null) {
      timer.close();
    }
    for (Database database : databases.values()) {
      try {
        database.close();
      } catch (RuntimeException e) {
        log.warn("closing database {} failed", database.name(), e);
      }
    }
    databases.clear();
  }

  /** Request and response schemas, shown by {@code engine::functions::info} and {@code iii trigger --help}. */
  private static final class Schemas {
    static final String PARAMS =
        "{\"type\":\"array\",\"description\":\"positional values for ? (SQLite) or $1… (PostgreSQL)\","
            + "\"items\":{\"type\":[\"string\",\"number\",\"boolean\",\"null\",\"array\",\"object\"]}}";
    static final String TIMEOUT = "{\"type\":\"integer\",\"minimum\":0,\"default\":30000}";
    static final String COLUMNS =
        "{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"name\",\"type\"],"
            + "\"properties\":{\"name\":{\"type\":\"string\"},\"type\":{\"type\":\"string\"}}}}";
    static final String QUERY_REQUEST =
        "{\"type\":\"object\",\"required\":[\"db\",\"sql\"],\"properties\":{\"db\":{\"type\":\"string\"},"
            + "\"sql\":{\"type\":\"string\"},\"params\":" + PARAMS + ",\"timeout_ms\":" + TIMEOUT + "}}";
    static final String QUERY_RESPONSE =
        "{\"type\":\"object\",\"properties\":{\"rows\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}},"
            + "\"row_count\":{\"type\":\"integer\"},\"columns\":" + COLUMNS + "}}";
    static final String EXECUTE_REQUEST =
        "{\"type\":\"object\",\"required\":[\"db\",\"sql\"],\"properties\":{\"db\":{\"type\":\"string\"},"
            + "\"sql\":{\"type\":\"string\"},\"params\":" + PARAMS + ",\"returning\":{\"type\":\"array\","
            + "\"items\":{\"type\":\"string\"}},\"timeout_ms\":" + TIMEOUT + "}}";
    static final String EXECUTE_RESPONSE =
        "{\"type\":\"object\",\"properties\":{\"affected_rows\":{\"type\":\"integer\"},"
            + "\"last_insert_id\":{\"type\":[\"string\",\"null\"]},"
            + "\"returned_rows\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}}}}";
    static final String TRANSACTION_REQUEST =
        "{\"type\":\"object\",\"required\":[\"db\",\"statements\"],\"properties\":{\"db\":{\"type\":\"string\"},"
            + "\"statements\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"sql\"],"
            + "\"properties\":{\"sql\":{\"type\":\"string\"},\"params\":" + PARAMS + "}}},"
            + "\"isolation\":{\"enum\":[\"read_committed\",\"repeatable_read\",\"serializable\"]},"
            + "\"timeout_ms\":" + TIMEOUT + "}}";
    static final String TRANSACTION_RESPONSE =
        "{\"type\":\"object\",\"properties\":{\"committed\":{\"type\":\"boolean\"},"
            + "\"results\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
            + "\"affected_rows\":{\"type\":\"integer\"},\"rows\":{\"type\":\"array\",\"items\":{\"type\":\"array\"}}}}},"
            + "\"failed_index\":{\"type\":\"integer\"},\"error\":{\"type\":\"object\"}}}";
    static final String BEGIN_REQUEST =
        "{\"type\":\"object\",\"required\":[\"db\"],\"properties\":{\"db\":{\"type\":\"string\"},"
            + "\"isolation\":{\"enum\":[\"read_committed\",\"repeatable_read\",\"serializable\"]},"
            + "\"timeout_ms\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":" + Transactions.MAX_TIMEOUT_MS
            + ",\"default\":" + Transactions.DEFAULT_TIMEOUT_MS + "}}}";
    static final String BEGIN_RESPONSE =
        "{\"type\":\"object\",\"properties\":{\"transaction\":{\"type\":\"object\",\"properties\":{"
            + "\"id\":{\"type\":\"string\"},\"expires_at\":{\"type\":\"string\",\"format\":\"date-time\"}}}}}";
    static final String TRANSACTION_QUERY_REQUEST =
        "{\"type\":\"object\",\"required\":[\"transaction_id\",\"sql\"],\"properties\":{"
            + "\"transaction_id\":{\"type\":\"string\"},\"sql\":{\"type\":\"string\"},\"params\":" + PARAMS + "}}";
    static final String TRANSACTION_EXECUTE_REQUEST =
        "{\"type\":\"object\",\"required\":[\"transaction_id\",\"sql\"],\"properties\":{"
            + "\"transaction_id\":{\"type\":\"string\"},\"sql\":{\"type\":\"string\"},\"params\":" + PARAMS + ","
            + "\"returning\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}";
    static final String TRANSACTION_ID_REQUEST =
        "{\"type\":\"object\",\"required\":[\"transaction_id\"],\"properties\":{\"transaction_id\":{\"type\":\"string\"}}}";
    static final String COMMIT_RESPONSE =
        "{\"type\":\"object\",\"properties\":{\"committed\":{\"type\":\"boolean\"}}}";
    static final String ROLLBACK_RESPONSE =
        "{\"type\":\"object\",\"properties\":{\"rolled_back\":{\"type\":\"boolean\"}}}";

    private Schemas() {}
  }

}
