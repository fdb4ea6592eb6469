package io.linkly.iii.engine.workers.database;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.testing.ChildEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing acknowledged is lost: an engine in a child JVM acknowledges inserts over the socket and
 * is killed with SIGKILL mid-stream; a new engine on the same file sees every acknowledged row.
 */
class DatabaseDurabilityTest {

  private static final int INSERTS = 400;
  private static final int KILL_AFTER_ACKS = 150;

  @TempDir Path dir;

  @Test
  void everyAcknowledgedInsertSurvivesAKilledEngine() throws Exception {
    Path file = dir.resolve("data/iii.db");
    Set<Long> acknowledged = new HashSet<>();
    try (ChildEngine child = ChildEngine.start(DatabaseWorkerTest.config(file), dir);
        DbClient db = new DbClient(child.workerUrl())) {
      db.result("database::execute", "db", "primary", "sql", "CREATE TABLE acked (id INTEGER PRIMARY KEY, note TEXT NOT NULL)");
      Map<String, Long> pending = new HashMap<>();
      for (long id = 1; id <= INSERTS; id++) {
        String call = db.send("database::execute", DbClient.payload("db", "primary",
            "sql", "INSERT INTO acked (id, note) VALUES (?, ?)", "params", List.of(id, "row " + id)));
        pending.put(call, id);
      }
      while (acknowledged.size() < KILL_AFTER_ACKS) {
        JsonNode answer = db.worker().next("invocationresult", Duration.ofSeconds(30));
        assertThat(answer).as("acknowledgements keep coming").isNotNull();
        record(answer, pending, acknowledged);
      }
      child.kill(); // SIGKILL: no shutdown hooks, no close, no checkpoint
      for (JsonNode late : db.worker().drain(Duration.ofMillis(200))) {
        record(late, pending, acknowledged); // answers that arrived before the kill are acknowledged too
      }
    }

    try (IiiEngine again = IiiEngine.start(DatabaseWorkerTest.config(file));
        DbClient db = new DbClient(again.workerUrl())) {
      JsonNode rows = db.result("database::query", "db", "primary", "sql", "SELECT id, note FROM acked").get("rows");
      Set<Long> stored = new HashSet<>();
      List<String> wrong = new ArrayList<>();
      for (JsonNode row : rows) {
        stored.add(row.get("id").asLong());
        if (!row.get("note").asText().equals("row " + row.get("id").asLong())) {
          wrong.add(row.toString());
        }
      }
      System.out.printf("durability: %d of %d inserts acknowledged before the kill, %d rows stored%n",
          acknowledged.size(), INSERTS, stored.size());
      assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(KILL_AFTER_ACKS);
      assertThat(stored).as("every acknowledged row is there").containsAll(acknowledged);
      assertThat(wrong).isEmpty();
    }
  }

  private static void record(JsonNode answer, Map<String, Long> pending, Set<Long> acknowledged) {
    if (!"invocationresult".equals(answer.path("type").asText())) {
      return;
    }
    Long id = pending.get(answer.path("invocation_id").asText());
    if (id != null && answer.has("result") && answer.get("result").get("affected_rows").asInt() == 1) {
      acknowledged.add(id);
    }
  }
}
