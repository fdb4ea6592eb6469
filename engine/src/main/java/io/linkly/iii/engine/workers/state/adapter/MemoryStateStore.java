package io.linkly.iii.engine.workers.state.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.updates.UpdateOp;
import io.linkly.iii.engine.updates.UpdateOps;
import io.linkly.iii.engine.updates.UpdateOutcome;
import java.util.List;

/**
 * {@code kv} with {@code store_method: in_memory}, the default: volatile, lost on restart. Every
 * operation is one short critical section under its scope's lock, so it never blocks for long and
 * may run on the calling thread.
 */
public final class MemoryStateStore implements StateStore {

  private final StateTable table = new StateTable();

  @Override
  public JsonNode get(String scope, String key) {
    return table.get(scope, key);
  }

  @Override
  public SetResult set(String scope, String key, JsonNode value) {
    return new SetResult(table.put(scope, key, value), value);
  }

  @Override
  public UpdateResult update(String scope, String key, List<UpdateOp> ops) {
    UpdateOutcome[] outcome = new UpdateOutcome[1];
    JsonNode previous =
        table.compute(
            scope,
            key,
            current -> {
              outcome[0] = UpdateOps.apply(current, ops);
              return outcome[0].newValue();
            });
    return new UpdateResult(previous, outcome[0].newValue(), outcome[0].errors());
  }

  @Override
  public JsonNode delete(String scope, String key) {
    return table.remove(scope, key);
  }

  @Override
  public List<JsonNode> list(String scope) {
    return table.values(scope);
  }

  @Override
  public List<String> listGroups() {
    return table.scopeNames();
  }

  @Override
  public boolean writesBlock() {
    return false;
  }

  @Override
  public void close() {}
}
