package io.linkly.iii.engine.workers.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.TriggerProvider;
import io.linkly.iii.engine.core.WorkerEvent;
import io.linkly.iii.protocol.Json;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code engine::workers-available} trigger type: every binding is called with
 * {@code {event, worker_id}} whenever a worker connects, leaves or reports its metadata.
 */
final class WorkersAvailable implements TriggerProvider {

  static final String TYPE = "engine::workers-available";
  private static final Logger log = LoggerFactory.getLogger(WorkersAvailable.class);

  private final Engine engine;
  private final Map<String, TriggerBinding> bindings = new ConcurrentHashMap<>();

  WorkersAvailable(Engine engine) {
    this.engine = engine;
  }

  @Override
  public void register(TriggerBinding binding) {
    bindings.put(binding.id(), binding);
  }

  @Override
  public void unregister(TriggerBinding binding) {
    bindings.remove(binding.id());
  }

  void onEvent(WorkerEvent event) {
    for (TriggerBinding b : bindings.values()) {
      ObjectNode payload = Json.object().put("event", event.kind().wire()).put("worker_id", event.workerId());
      engine
          .invoke(Call.of(b.functionId(), payload, b.metadata()))
          .whenComplete(
              (r, e) -> {
                if (e != null) {
                  log.debug("{} handler {} failed: {}", TYPE, b.functionId(), e.getMessage());
                }
              });
    }
  }
}
