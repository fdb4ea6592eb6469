package io.linkly.iii.engine.workers.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.WorkerEntry;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The database worker's config block: defaults, strictness, URLs. */
class DatabaseConfigTest {

  private static DatabaseConfig parse(String yaml) throws ConfigException {
    EngineConfig config = EngineConfig.parse("workers:\n  - name: database\n    config:\n" + yaml.indent(6), Map.<String, String>of()::get);
    return DatabaseConfig.from(ConfigBlock.of(config.entries("database").get(0)));
  }

  @Test
  void withoutDatabasesThePrimarySqliteFileIsServed() throws Exception {
    DatabaseConfig config = DatabaseConfig.from(ConfigBlock.of(new WorkerEntry("database", null, "defaults.database")));
    DatabaseConfig.Entry primary = config.databases().get("primary");
    assertThat(config.databases()).containsOnlyKeys("primary");
    assertThat(primary.url()).isEqualTo("sqlite:./data/iii.db");
    assertThat(primary.sqlite().path()).isEqualTo(Path.of("./data/iii.db"));
    assertThat(primary.sqlite().synchronous()).isEqualTo(DatabaseConfig.Synchronous.FULL);
    assertThat(primary.pool()).isEqualTo(new DatabaseConfig.Pool(10, 30_000, 5_000));
  }

  @Test
  void theDatabaseWorkerRunsByDefaultButNotInAnEphemeralEngine() {
    assertThat(EngineConfig.defaults().workers()).extracting(WorkerEntry::name).contains("database");
    assertThat(EngineConfig.ephemeral().workers()).extracting(WorkerEntry::name).doesNotContain("database");
  }

  @Test
  void readsEveryKey() throws Exception {
    DatabaseConfig config =
        parse(
            """
            databases:
              primary:
                url: sqlite:///tmp/x/iii.db
                pool: {max: 3, idle_timeout_ms: 1000, acquire_timeout_ms: 200}
                synchronous: normal
                busy_timeout_ms: 100
              pg:
                url: postgresql://u:p%40ss@db.local/app?sslmode=disable&application_name=linkly
                tls: {mode: verify-full, ca_cert: /ca.pem}
            """);
    DatabaseConfig.Entry primary = config.databases().get("primary");
    assertThat(primary.sqlite().path()).isEqualTo(Path.of("/tmp/x/iii.db"));
    assertThat(primary.sqlite().synchronous()).isEqualTo(DatabaseConfig.Synchronous.NORMAL);
    assertThat(primary.sqlite().busyTimeoutMs()).isEqualTo(100);
    assertThat(primary.pool()).isEqualTo(new DatabaseConfig.Pool(3, 1000, 200));
    DatabaseConfig.Entry pg = config.databases().get("pg");
    assertThat(pg.driver()).isEqualTo(Driver.POSTGRES);
    assertThat(pg.tls().mode()).isEqualTo(DatabaseConfig.TlsMode.VERIFY_FULL);
    assertThat(pg.safeUrl()).isEqualTo("postgres://***@db.local:5432/app").doesNotContain("p@ss");
  }

  @Test
  void postgresUrlsBecomeJdbcUrlAndProperties() {
    PostgresUrl url = PostgresUrl.parse("postgres://alice:s%3Acret@127.0.0.1:6543/shop?application_name=linkly&currentSchema=s1");
    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:6543/shop");
    var props = url.properties(DatabaseConfig.Tls.DEFAULTS);
    assertThat(props.getProperty("user")).isEqualTo("alice");
    assertThat(props.getProperty("password")).isEqualTo("s:cret");
    assertThat(props.getProperty("ApplicationName")).isEqualTo("linkly");
    assertThat(props.getProperty("currentSchema")).isEqualTo("s1");
    assertThat(props.getProperty("sslmode")).isEqualTo("prefer");
    assertThat(url.toString()).doesNotContain("s:cret");

    PostgresUrl bare = PostgresUrl.parse("postgresql://bob@localhost");
    assertThat(bare.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost:5432/bob");
    var disabled = bare.properties(new DatabaseConfig.Tls(DatabaseConfig.TlsMode.DISABLE, null, true));
    assertThat(disabled.getProperty("sslmode")).isEqualTo("disable");
    assertThat(disabled.getProperty("password")).isNull();
  }

  @Test
  void rejectsWhatItCannotServe() {
    assertThatThrownBy(() -> parse("databases: {}")).hasMessageContaining("at least one database");
    assertThatThrownBy(() -> parse("databases: {a: {url: oracle://h/db}}")).hasMessageContaining("unknown url scheme");
    assertThatThrownBy(() -> parse("databases: {a: {url: 'mysql://h/db'}}")).hasMessageContaining("MySQL is not supported");
    assertThatThrownBy(() -> parse("databases: {a: {url: 'sqlite::memory:'}}")).hasMessageContaining("in-memory");
    assertThatThrownBy(() -> parse("databases: {a: {pool: {max: 1}}}")).hasMessageContaining("databases.a.url: required");
    assertThatThrownBy(() -> parse("databases: {a: {url: 'sqlite:x.db', pool: {max: 0}}}"))
        .hasMessageContaining("databases.a.pool.max: must be positive");
    assertThatThrownBy(() -> parse("databases: {a: {url: 'sqlite:x.db', pool: {size: 2}}}"))
        .hasMessageContaining("databases.a.pool.size: unknown key");
    assertThatThrownBy(() -> parse("databases: {a: {url: 'sqlite:x.db', synchronous: off}}"))
        .hasMessageContaining("must be full or normal");
    assertThatThrownBy(() -> parse("databases: {a: {url: 'postgres://h/db', synchronous: full}}"))
        .hasMessageContaining("SQLite databases only");
    assertThatThrownBy(() -> parse("databases: {a: {url: 'postgres://h/db', tls: {mode: maybe}}}"))
        .hasMessageContaining("disable, require or verify-full");
    assertThatThrownBy(() -> parse("dbs: {}")).hasMessageContaining("dbs: unknown key");
  }
}
