package io.linkly.iii.engine.workers.state;

import static io.linkly.iii.engine.workers.state.Wire.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.Worker;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The trigger provider on its own: bounded deliveries in flight, and the on/off switch. */
class StateTriggersTest {

  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final Engine engine = new Engine(Clock.systemUTC());

  @AfterEach
  void stop() {
    executor.shutdownNow();
    engine.close();
  }

  @Test
  void eventsBeyondTheInFlightBoundAreDroppedAndCountedNotQueued() throws Exception {
    Worker self = engine.registerBuiltinWorker("test");
    List<JsonNode> calls = new CopyOnWriteArrayList<>();
    CompletableFuture<JsonNode> release = new CompletableFuture<>();
    engine.registerFunction(self, FunctionDefinition.of("t::slow", "waits for the test"), call -> {
      calls.add(call.data());
      return calls.size() == 1 ? release : CompletableFuture.completedFuture(null);
    });
    StateTriggers triggers = new StateTriggers(engine, executor, true, 1);
    triggers.register(new TriggerBinding("b", "state", "t::slow", json("{}"), null, null));

    triggers.fire("state:created", "s", "k1", null, json("1"));
    triggers.fire("state:created", "s", "k2", null, json("2"));
    triggers.fire("state:created", "s", "k3", null, json("3"));
    assertThat(triggers.droppedEvents()).isEqualTo(2);
    await().until(() -> calls.size() == 1);

    release.complete(null);
    await().untilAsserted(() -> {
      triggers.fire("state:updated", "s", "k1", json("1"), json("4"));
      assertThat(calls).hasSizeGreaterThan(1);
    });
    assertThat(calls.getFirst().get("key").asText()).isEqualTo("k1");
    // the loop above may leave its last delivery in flight, which would drop the next event
    await().until(() -> triggers.deliveriesInFlight() == 0);

    triggers.enabled(false);
    int before = calls.size();
    long dropped = triggers.droppedEvents();
    triggers.fire("state:deleted", "s", "off", json("4"), null);
    triggers.enabled(true);
    triggers.fire("state:deleted", "s", "on", json("4"), null);
    await().until(() -> calls.stream().anyMatch(c -> c.get("key").asText().equals("on")));
    assertThat(calls).noneMatch(c -> c.get("key").asText().equals("off"));
    assertThat(calls.size()).isGreaterThan(before);
    assertThat(triggers.droppedEvents()).isEqualTo(dropped);
  }

  @Test
  void unregisteredBindingsNoLongerFire() throws Exception {
    Worker self = engine.registerBuiltinWorker("test");
    List<String> keys = new CopyOnWriteArrayList<>();
    engine.registerFunction(self, FunctionDefinition.of("t::h", "records"),
        BuiltinFunction.sync(call -> {
          keys.add(call.data().get("key").asText());
          return null;
        }));
    StateTriggers triggers = new StateTriggers(engine, executor, true, 16);
    TriggerBinding binding = new TriggerBinding("b", "state", "t::h", json("{\"scope\":\"s\"}"), null, null);
    triggers.register(binding);
    triggers.fire("state:created", "s", "first", null, json("1"));
    await().until(() -> keys.contains("first"));
    triggers.unregister(binding);
    triggers.register(new TriggerBinding("c", "state", "t::h", json("{\"scope\":\"other\"}"), null, null));
    triggers.fire("state:created", "s", "second", null, json("2"));
    triggers.fire("state:created", "other", "third", null, json("3"));
    await().until(() -> keys.contains("third"));
    assertThat(keys).doesNotContain("second");
  }
}
