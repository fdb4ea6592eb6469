package io.linkly.iii.engine.workers.database;

import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code database} worker's config block (LINKLY.md §6):
 *
 * <pre>
 * databases:
 *   primary:
 *     url: sqlite:./data/iii.db          # or postgres://user:pass@host:5432/db, postgresql://…
 *     pool: {max: 10, idle_timeout_ms: 30000, acquire_timeout_ms: 5000}
 *     tls: {mode: require, ca_cert: /path/ca.pem}   # PostgreSQL only
 *     synchronous: full                  # SQLite only, beyond upstream: full | normal
 *     busy_timeout_ms: 5000              # SQLite only, beyond upstream
 * </pre>
 *
 * With no {@code databases} key the worker serves {@code primary} → {@code sqlite:./data/iii.db}.
 * {@code synchronous: full} (the default) makes every acknowledged write survive power loss as
 * well as a killed process; {@code normal} keeps the kill guarantee with one fsync per checkpoint
 * instead of per commit.
 */
public record DatabaseConfig(Map<String, Entry> databases) {

  public static final String DEFAULT_NAME = "primary";
  public static final String DEFAULT_URL = "sqlite:./data/iii.db";

  public DatabaseConfig {
    // in config order: databases open in that order, so a start that fails names the first bad one
    databases = Collections.unmodifiableMap(new LinkedHashMap<>(databases));
  }

  public record Pool(int max, long idleTimeoutMs, long acquireTimeoutMs) {
    public static final Pool DEFAULTS = new Pool(10, 30_000, 5_000);
  }

  public enum TlsMode { DISABLE, REQUIRE, VERIFY_FULL }

  public record Tls(TlsMode mode, String caCert, boolean trustNative) {
    public static final Tls DEFAULTS = new Tls(TlsMode.REQUIRE, null, true);
  }

  public enum Synchronous { FULL, NORMAL }

  /** SQLite-only settings; {@code path} is the file the URL names. */
  public record Sqlite(Path path, Synchronous synchronous, long busyTimeoutMs) {}

  /** One configured database; exactly one of {@code sqlite} and {@code postgres} is set. */
  public record Entry(String name, String url, Pool pool, Tls tls, Sqlite sqlite, PostgresUrl postgres) {

    Driver driver() {
      return sqlite != null ? Driver.SQLITE : Driver.POSTGRES;
    }

    /** The URL without credentials, for logs and messages. */
    public String safeUrl() {
      return postgres != null ? postgres.redacted() : url;
    }
  }

  public static DatabaseConfig defaults() {
    Entry primary =
        new Entry(DEFAULT_NAME, DEFAULT_URL, Pool.DEFAULTS, Tls.DEFAULTS, new Sqlite(Path.of("./data/iii.db"), Synchronous.FULL, 5_000), null);
    return new DatabaseConfig(Map.of(DEFAULT_NAME, primary));
  }

  public static DatabaseConfig from(ConfigBlock block) throws ConfigException {
    block.onlyKeys(Set.of("databases"));
    if (!block.has("databases")) {
      return defaults();
    }
    ConfigBlock databases = block.child("databases");
    Map<String, Entry> entries = new LinkedHashMap<>();
    for (Iterator<String> names = databases.node().fieldNames(); names.hasNext(); ) {
      String name = names.next();
      entries.put(name, entry(name, databases.child(name)));
    }
    if (entries.isEmpty()) {
      throw new ConfigException(databases.path() + ": at least one database is required");
    }
    return new DatabaseConfig(entries);
  }

  private static Entry entry(String name, ConfigBlock block) throws ConfigException {
    if (name.isBlank()) {
      throw new ConfigException(block.path() + ": a database name must not be blank");
    }
    block.onlyKeys(Set.of("url", "pool", "tls", "synchronous", "busy_timeout_ms"));
    String url = block.string("url", null);
    if (url == null || url.isBlank()) {
      throw new ConfigException(block.path() + ".url: required (sqlite:PATH, postgres://… or postgresql://…)");
    }
    Pool pool = pool(block.child("pool"));
    Tls tls = tls(block.child("tls"));
    String lower = url.toLowerCase(Locale.ROOT);
    if (lower.startsWith("sqlite:")) {
      return new Entry(name, url, pool, tls, sqlite(block, url), null);
    }
    if (lower.startsWith("postgres://") || lower.startsWith("postgresql://")) {
      for (String sqliteOnly : new String[] {"synchronous", "busy_timeout_ms"}) {
        if (block.has(sqliteOnly)) {
          throw new ConfigException(block.path() + "." + sqliteOnly + ": applies to SQLite databases only");
        }
      }
      try {
        return new Entry(name, url, pool, tls, null, PostgresUrl.parse(url));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(block.path() + ".url: " + e.getMessage());
      }
    }
    if (lower.startsWith("mysql://")) {
      throw new ConfigException(block.path() + ".url: MySQL is not supported by this engine (use sqlite: or postgres://)");
    }
    throw new ConfigException(
        block.path() + ".url: unknown url scheme (expected sqlite:PATH, postgres://… or postgresql://…)");
  }

  private static Pool pool(ConfigBlock block) throws ConfigException {
    block.onlyKeys(Set.of("max", "idle_timeout_ms", "acquire_timeout_ms"));
    long max = block.positive("max", Pool.DEFAULTS.max());
    if (max > 1_000) {
      throw new ConfigException(block.path() + ".max: must be at most 1000, got " + max);
    }
    return new Pool(
        (int) max,
        block.positive("idle_timeout_ms", Pool.DEFAULTS.idleTimeoutMs()),
        block.positive("acquire_timeout_ms", Pool.DEFAULTS.acquireTimeoutMs()));
  }

  private static Tls tls(ConfigBlock block) throws ConfigException {
    block.onlyKeys(Set.of("mode", "ca_cert", "trust_native"));
    String mode = block.string("mode", "require");
    TlsMode parsed =
        switch (mode) {
          case "disable" -> TlsMode.DISABLE;
          case "require" -> TlsMode.REQUIRE;
          case "verify-full" -> TlsMode.VERIFY_FULL;
          default ->
              throw new ConfigException(block.path() + ".mode: must be disable, require or verify-full, got " + mode);
        };
    return new Tls(parsed, block.string("ca_cert", null), block.bool("trust_native", true));
  }

  private static Sqlite sqlite(ConfigBlock block, String url) throws ConfigException {
    if (url.contains(":memory:") || url.contains("mode=memory")) {
      throw new ConfigException(
          block.path() + ".url: in-memory SQLite is not supported; name a file, such as sqlite:./data/iii.db");
    }
    String path = url.substring("sqlite:".length());
    if (path.startsWith("//")) {
      path = path.substring(2); // sqlx style: sqlite://./data/iii.db, sqlite:///abs/path
    }
    int query = path.indexOf('?');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    if (path.isBlank()) {
      throw new ConfigException(block.path() + ".url: names no file (write sqlite:./data/iii.db)");
    }
    String sync = block.string("synchronous", "full");
    Synchronous synchronous =
        switch (sync.toLowerCase(Locale.ROOT)) {
          case "full" -> Synchronous.FULL;
          case "normal" -> Synchronous.NORMAL;
          default -> throw new ConfigException(block.path() + ".synchronous: must be full or normal, got " + sync);
        };
    long busy = block.positive("busy_timeout_ms", 5_000);
    if (busy > Integer.MAX_VALUE) {
      throw new ConfigException(block.path() + ".busy_timeout_ms: too large");
    }
    return new Sqlite(Path.of(path), synchronous, busy);
  }
}
