package io.linkly.iii.engine.workers.state.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.bridge.BridgeAnswers;
import io.linkly.iii.engine.bridge.BridgeClient;
import io.linkly.iii.engine.bridge.BridgeException;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.net.Transport;
import io.linkly.iii.engine.updates.UpdateError;
import io.linkly.iii.engine.updates.UpdateOp;
import io.linkly.iii.engine.updates.UpdateOpWriter;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code bridge} adapter: state kept by another engine (the backend), reached over its worker
 * socket. Each operation is the backend's own {@code state::*} function, so the backend's store
 * decides atomicity and order, and the state is shared by every engine that bridges to it.
 *
 * <p>The backend's errors reach the caller unchanged (its code and message, thrown as the
 * {@code InvocationException} the worker passes on as it is); only a call that got no answer (not
 * connected, connection lost, timeout) fails as this store's error, naming the bridge. Every
 * operation waits on the network, so the worker runs them on virtual threads.
 *
 * <p>{@code state} triggers fire on the engine that served the call, as with every adapter: a
 * write through this engine fires this engine's triggers (and the backend's own, on the backend);
 * a write made on the backend directly fires none here.
 */
public final class BridgeStateStore implements StateStore {

  private final BridgeClient bridge;

  private BridgeStateStore(BridgeClient bridge) {
    this.bridge = bridge;
  }

  /** Starts connecting and returns at once (see {@link BridgeClient#connect}). */
  public static BridgeStateStore connect(URI url, Transport transport) {
    return new BridgeStateStore(BridgeClient.connect("iii-state", url, transport));
  }

  @Override
  public JsonNode get(String scope, String key) throws StateStoreException {
    return call("state::get", address(scope, key));
  }

  @Override
  public SetResult set(String scope, String key, JsonNode value) throws StateStoreException {
    ObjectNode input = address(scope, key);
    input.set("value", value);
    ObjectNode answer = object("state::set", call("state::set", input));
    JsonNode newValue = BridgeAnswers.field(answer, "new_value");
    return new SetResult(BridgeAnswers.field(answer, "old_value"), newValue == null ? value : newValue);
  }

  @Override
  public UpdateResult update(String scope, String key, List<UpdateOp> ops) throws StateStoreException {
    ObjectNode input = address(scope, key);
    input.set("ops", UpdateOpWriter.write(ops));
    ObjectNode answer = object("state::update", call("state::update", input));
    List<UpdateError> errors = new ArrayList<>();
    answer.path("errors").forEach(e -> errors.add(UpdateError.fromJson(e)));
    JsonNode newValue = answer.get("new_value"); // a JSON null is a value here: ops may set the root to null
    return new UpdateResult(BridgeAnswers.field(answer, "old_value"), newValue == null ? Json.mapper().nullNode() : newValue, errors);
  }

  @Override
  public JsonNode delete(String scope, String key) throws StateStoreException {
    return call("state::delete", address(scope, key));
  }

  @Override
  public List<JsonNode> list(String scope) throws StateStoreException {
    ObjectNode input = Json.object().put("scope", scope);
    List<JsonNode> out = new ArrayList<>();
    try {
      BridgeAnswers.array(bridge, "state::list", call("state::list", input)).forEach(out::add);
    } catch (BridgeException e) {
      throw new StateStoreException(e.getMessage(), e);
    }
    return out;
  }

  @Override
  public List<String> listGroups() throws StateStoreException {
    ObjectNode answer = object("state::list_groups", call("state::list_groups", Json.object()));
    try {
      return BridgeAnswers.strings(bridge, "state::list_groups", answer.get("groups"));
    } catch (BridgeException e) {
      throw new StateStoreException(e.getMessage(), e);
    }
  }

  private static ObjectNode address(String scope, String key) {
    return Json.object().put("scope", scope).put("key", key);
  }

  /** The backend's answer (null: none); its own errors pass through as they are. */
  private JsonNode call(String functionId, ObjectNode input) throws StateStoreException {
    try {
      return bridge.request(functionId, input, BridgeClient.CALL_TIMEOUT.toMillis());
    } catch (BridgeException e) {
      throw new StateStoreException(e.getMessage(), e);
    }
  }

  private ObjectNode object(String functionId, JsonNode answer) throws StateStoreException {
    try {
      return BridgeAnswers.object(bridge, functionId, answer);
    } catch (BridgeException e) {
      throw new StateStoreException(e.getMessage(), e);
    }
  }

  @Override
  public boolean writesBlock() {
    return true;
  }

  @Override
  public boolean readsBlock() {
    return true;
  }

  @Override
  public Health health() {
    return bridge.health();
  }

  @Override
  public void close() {
    bridge.close();
  }
}
