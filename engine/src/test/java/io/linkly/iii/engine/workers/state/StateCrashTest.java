package io.linkly.iii.engine.workers.state;

import static io.linkly.iii.engine.workers.state.Wire.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.testing.RawWorker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills an engine (SIGKILL, no shutdown hooks, no flush) while writes are in flight, restarts on the
 * same directory, and checks that every write the engine acknowledged before dying is there.
 */
class StateCrashTest {

  private static final int WRITERS = 4;
  private static final int IN_FLIGHT = 16;
  private static final int ACKS_BEFORE_KILL = 2000;

  @TempDir Path tmp;

  @Test
  void killNineLosesNoAcknowledgedWrite() throws Exception {
    Path dir = tmp.resolve("state");
    Path out = tmp.resolve("engine.out");
    Process engine = startEngine(dir, out);
    try {
      int port = awaitPort(engine, out);
      Set<String> acknowledged = ConcurrentHashMap.newKeySet();
      Map<Integer, AtomicLong> ackedIncrements = new HashMap<>();
      Map<Integer, AtomicLong> sentIncrements = new HashMap<>();
      AtomicInteger acks = new AtomicInteger();
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int id = w;
        ackedIncrements.put(id, new AtomicLong());
        sentIncrements.put(id, new AtomicLong());
        RawWorker socket = RawWorker.connect("ws://127.0.0.1:" + port);
        writers.add(Thread.ofVirtual().start(() -> write(socket, id, acknowledged, ackedIncrements.get(id), sentIncrements.get(id), acks)));
      }
      await().atMost(Duration.ofSeconds(120)).until(() -> acks.get() >= ACKS_BEFORE_KILL);
      engine.destroyForcibly(); // SIGKILL: the journal gets no chance to flush anything more
      assertThat(engine.waitFor(30, TimeUnit.SECONDS)).isTrue();
      for (Thread t : writers) {
        t.join(Duration.ofSeconds(30));
      }

      try (IiiEngine restarted = IiiEngine.start(FileStateEngineTest.fileBased(dir));
          RawWorker w = RawWorker.connect(restarted.workerUrl())) {
        Set<String> present = ConcurrentHashMap.newKeySet();
        for (int id = 0; id < WRITERS; id++) {
          result(w, "state::list", "{\"scope\":\"crash-" + id + "\"}").forEach(v -> present.add(v.asText()));
          JsonNode counter = result(w, "state::get", "{\"scope\":\"counters\",\"key\":\"w" + id + "\"}");
          long persisted = counter == null ? 0 : counter.get("n").asLong();
          assertThat(persisted)
              .as("writer %d: acknowledged increments survive, unsent ones do not appear", id)
              .isBetween(ackedIncrements.get(id).get(), sentIncrements.get(id).get());
        }
        assertThat(acknowledged).hasSizeGreaterThan(ACKS_BEFORE_KILL / 4);
        assertThat(present).as("every acknowledged key").containsAll(acknowledged);
      }
    } finally {
      engine.destroyForcibly();
    }
  }

  /** Keeps {@code IN_FLIGHT} writes outstanding until the engine dies. */
  private static void write(
      RawWorker socket, int id, Set<String> acknowledged, AtomicLong ackedIncrements, AtomicLong sentIncrements,
      AtomicInteger acks) {
    Map<String, String> pending = new HashMap<>(); // invocation id -> key (or "+" for an increment)
    long next = 0;
    try (socket) {
      while (true) {
        while (pending.size() < IN_FLIGHT) {
          UUID invocation = UUID.randomUUID();
          if (next % 4 == 3) {
            sentIncrements.incrementAndGet();
            pending.put(invocation.toString(), "+");
            socket.send(invoke(invocation, "state::update",
                "{\"scope\":\"counters\",\"key\":\"w" + id + "\",\"ops\":[{\"type\":\"increment\",\"path\":\"n\",\"by\":1}]}"));
          } else {
            String key = "w" + id + "-" + next;
            pending.put(invocation.toString(), key);
            socket.send(invoke(invocation, "state::set",
                "{\"scope\":\"crash-" + id + "\",\"key\":\"" + key + "\",\"value\":\"" + key + "\"}"));
          }
          next++;
        }
        JsonNode reply = socket.next(m -> m.path("type").asText().equals("invocationresult"), Duration.ofSeconds(5));
        if (reply == null) {
          return; // the engine is gone
        }
        String what = pending.remove(reply.get("invocation_id").asText());
        if (what == null || reply.has("error")) {
          continue;
        }
        if (what.equals("+")) {
          ackedIncrements.incrementAndGet();
        } else {
          acknowledged.add(what);
        }
        acks.incrementAndGet();
      }
    } catch (Exception e) {
      // the socket broke when the engine died: that is the point
    }
  }

  private static String invoke(UUID id, String function, String data) {
    return "{\"type\":\"invokefunction\",\"invocation_id\":\"" + id + "\",\"function_id\":\"" + function + "\",\"data\":" + data + "}";
  }

  private static Process startEngine(Path dir, Path out) throws Exception {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx256m", "-cp", classpath, StateCrashMain.class.getName(), dir.toString())
        .redirectErrorStream(true)
        .redirectOutput(out.toFile())
        .start();
  }

  private static int awaitPort(Process engine, Path out) {
    Pattern port = Pattern.compile("^PORT=(\\d+)$", Pattern.MULTILINE);
    return await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> {
          if (!engine.isAlive()) {
            throw new AssertionError("the engine process exited: " + Files.readString(out));
          }
          Matcher m = port.matcher(Files.exists(out) ? Files.readString(out) : "");
          return m.find() ? Integer.parseInt(m.group(1)) : null;
        }, p -> p != null);
  }
}
