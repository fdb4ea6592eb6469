package io.linkly.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.WorkerEntry;
import java.util.function.Function;

/**
 * The parts of Linkly's configuration a placeholder cannot express: defaults made of other
 * variables, and settings that only one kind of database takes.
 */
final class LinklyEnvironment {

  static final String DATA = "LINKLY_DATA";
  static final String DATABASE_URL = "LINKLY_DATABASE_URL";
  static final String ANALYTICS_DATABASE_URL = "LINKLY_ANALYTICS_DATABASE_URL";

  private LinklyEnvironment() {}

  /**
   * {@code env}, where the database URLs default to the SQLite files in the data directory
   * ({@code ${LINKLY_DATA}} inside a default is not something config.yaml's placeholders can say).
   */
  static Function<String, String> withDefaults(Function<String, String> env) {
    return name -> {
      String value = env.apply(name);
      if (value != null) {
        return value;
      }
      String data = env.apply(DATA) == null ? "./data" : env.apply(DATA);
      return switch (name) {
        case DATABASE_URL -> "sqlite:" + data + "/iii.db";
        case ANALYTICS_DATABASE_URL -> "sqlite:" + data + "/analytics.db";
        default -> null;
      };
    };
  }

  /** Drops {@code synchronous} (a SQLite setting, refused for PostgreSQL) from the databases that are not SQLite files. */
  static EngineConfig withoutSqliteSettingsOnPostgres(EngineConfig config) {
    for (WorkerEntry entry : config.entries(EngineConfig.DATABASE)) {
      JsonNode databases = entry.config() == null ? null : entry.config().get("databases");
      if (databases == null || !databases.isObject()) {
        continue;
      }
      ObjectNode adjusted = databases.deepCopy();
      adjusted.fields().forEachRemaining(db -> {
        if (db.getValue() instanceof ObjectNode settings && !settings.path("url").asText("").startsWith("sqlite:")) {
          settings.remove("synchronous");
        }
      });
      return config.withSetting(EngineConfig.DATABASE, "databases", adjusted);
    }
    return config;
  }
}
