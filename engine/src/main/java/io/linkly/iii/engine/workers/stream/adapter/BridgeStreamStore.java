package io.linkly.iii.engine.workers.stream.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.bridge.BridgeAnswers;
import io.linkly.iii.engine.bridge.BridgeClient;
import io.linkly.iii.engine.bridge.BridgeException;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.core.TraceContext;
import io.linkly.iii.engine.net.Transport;
import io.linkly.iii.engine.updates.UpdateError;
import io.linkly.iii.engine.updates.UpdateOp;
import io.linkly.iii.engine.updates.UpdateOpWriter;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The {@code bridge} adapter: streams kept by another engine (the backend), reached over its
 * worker socket; each operation is the backend's own {@code stream::*} function. The backend's
 * errors reach the caller unchanged (code and message); a call that got no answer (not connected,
 * connection lost, timeout) fails as this store's error, naming the bridge.
 *
 * <p>Subscribers of this engine's stream port hear of every write made through this engine: once
 * the backend has answered, the write goes through the worker's commit like a local store's, so
 * the worker numbers and publishes it and fires this engine's {@code stream} triggers. Writes to one
 * group are serialized by a lock of this store (not the worker's group lock, which event loops take
 * and must never wait on the network for), so subscribers get them in the order the backend
 * applied them, and a joining subscriber's snapshot is read under that lock too
 * ({@link #excludingWrites}).
 *
 * <p>Changes made on the backend by anyone else (its own workers, other engines bridged to it) do
 * not reach this engine's subscribers: this store does not listen to the backend. (Upstream's bridge
 * relays changes between bridged engines through a {@code stream.events} pub/sub topic on the
 * backend, which still misses the backend's own writes; not reproduced here.) {@code stream::list_all}
 * asks the backend, where upstream answers an empty list.
 */
public final class BridgeStreamStore implements StreamStore {

  /** Locks for group writes, shared by hash: bounded memory whatever the number of groups. */
  private static final int STRIPES = 64;

  private final BridgeClient bridge;
  private final Commits commits;
  private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

  private BridgeStreamStore(BridgeClient bridge, Commits commits) {
    this.bridge = bridge;
    this.commits = commits;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new ReentrantLock();
    }
  }

  /**
   * Starts connecting and returns at once (see {@link BridgeClient#connect}): until the backend is
   * reached, the stream functions fail with an error naming the bridge.
   */
  public static BridgeStreamStore connect(URI url, Transport transport, Commits commits) {
    return new BridgeStreamStore(BridgeClient.connect("iii-stream", url, transport), commits);
  }

  @Override
  public JsonNode get(String stream, String group, String item) throws StreamStoreException {
    return call("stream::get", address(stream, group, item), BridgeClient.CALL_TIMEOUT.toMillis());
  }

  @Override
  public List<JsonNode> list(String stream, String group) throws StreamStoreException {
    ObjectNode input = Json.object().put("stream_name", stream).put("group_id", group);
    List<JsonNode> out = new ArrayList<>();
    JsonNode answer = call("stream::list", input, BridgeClient.CALL_TIMEOUT.toMillis());
    try {
      BridgeAnswers.array(bridge, "stream::list", answer).forEach(out::add);
    } catch (BridgeException e) {
      throw new StreamStoreException(e.getMessage(), e);
    }
    return out;
  }

  @Override
  public List<String> groups(String stream) throws StreamStoreException {
    ObjectNode input = Json.object().put("stream_name", stream);
    JsonNode answer = call("stream::list_groups", input, BridgeClient.CALL_TIMEOUT.toMillis());
    try {
      return BridgeAnswers.strings(bridge, "stream::list_groups", answer);
    } catch (BridgeException e) {
      throw new StreamStoreException(e.getMessage(), e);
    }
  }

  @Override
  public Map<String, List<String>> streams() throws StreamStoreException {
    JsonNode answer = call("stream::list_all", Json.object(), BridgeClient.CALL_TIMEOUT.toMillis());
    Map<String, List<String>> out = new TreeMap<>();
    try {
      ObjectNode all = BridgeAnswers.object(bridge, "stream::list_all", answer);
      for (JsonNode entry : BridgeAnswers.array(bridge, "stream::list_all", all.get("stream"))) {
        String id = entry.path("id").asText(null);
        if (id == null) {
          throw new StreamStoreException("bridge " + bridge.url() + ": stream::list_all answered an entry without an id");
        }
        List<String> groups = new ArrayList<>(BridgeAnswers.strings(bridge, "stream::list_all", entry.get("groups")));
        groups.sort(null);
        out.put(id, groups);
      }
    } catch (BridgeException e) {
      throw new StreamStoreException(e.getMessage(), e);
    }
    return out;
  }

  @Override
  public JsonNode put(String stream, String group, String item, JsonNode value, TraceContext origin) throws StreamStoreException {
    ObjectNode input = address(stream, group, item);
    input.set("data", value);
    return write(stream, group, item, origin, "stream::set", input, answer -> {
      JsonNode newValue = BridgeAnswers.field(answer, "new_value");
      return new Change(BridgeAnswers.field(answer, "old_value"), newValue == null ? value : newValue);
    }).change().previous();
  }

  @Override
  public JsonNode remove(String stream, String group, String item, TraceContext origin) throws StreamStoreException {
    return write(stream, group, item, origin, "stream::delete", address(stream, group, item),
        answer -> new Change(BridgeAnswers.field(answer, "old_value"), null)).change().previous();
  }

  @Override
  public Updated update(String stream, String group, String item, List<UpdateOp> ops, TraceContext origin) throws StreamStoreException {
    ObjectNode input = address(stream, group, item);
    input.set("ops", UpdateOpWriter.write(ops));
    Written written = write(stream, group, item, origin, "stream::update", input, answer -> {
      JsonNode newValue = answer.get("new_value"); // a JSON null is a value here: ops may set the root to null
      return new Change(BridgeAnswers.field(answer, "old_value"), newValue == null ? Json.mapper().nullNode() : newValue);
    });
    List<UpdateError> errors = new ArrayList<>();
    written.answer().path("errors").forEach(e -> errors.add(UpdateError.fromJson(e)));
    return new Updated(written.change(), errors);
  }

  private record Written(ObjectNode answer, Change change) {}

  /**
   * One write: the backend applies it, then the worker's commit publishes what changed, both under
   * the group's write lock, so that publishing order is the backend's order. The whole write,
   * waiting for the lock included, keeps within one call timeout.
   */
  private Written write(String stream, String group, String item, TraceContext origin, String functionId, ObjectNode input,
      Function<ObjectNode, Change> changeOf) throws StreamStoreException {
    long deadline = System.nanoTime() + BridgeClient.CALL_TIMEOUT.toNanos();
    ReentrantLock lock = lockOf(stream, group);
    acquire(lock, deadline, stream, group);
    try {
      JsonNode answer = call(functionId, input, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      ObjectNode object;
      try {
        object = BridgeAnswers.object(bridge, functionId, answer);
      } catch (BridgeException e) {
        throw new StreamStoreException(e.getMessage(), e);
      }
      Change change = changeOf.apply(object);
      return new Written(object, commits.commit(stream, group, item, origin, () -> change));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public <T> T excludingWrites(String stream, String group, Supplier<T> body) throws StreamStoreException {
    ReentrantLock lock = lockOf(stream, group);
    acquire(lock, System.nanoTime() + BridgeClient.CALL_TIMEOUT.toNanos(), stream, group);
    try {
      return body.get();
    } finally {
      lock.unlock();
    }
  }

  private ReentrantLock lockOf(String stream, String group) {
    return stripes[Math.floorMod((stream + '\u0000' + group).hashCode(), STRIPES)];
  }

  private void acquire(ReentrantLock lock, long deadline, String stream, String group) throws StreamStoreException {
    try {
      if (!lock.tryLock(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
        throw new StreamStoreException("bridge " + bridge.url() + ": earlier writes to " + stream + "/" + group
            + " are still waiting for the backend after " + BridgeClient.CALL_TIMEOUT.toMillis() + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StreamStoreException("bridge " + bridge.url() + ": interrupted while waiting to write " + stream + "/" + group);
    }
  }

  private static ObjectNode address(String stream, String group, String item) {
    return Json.object().put("stream_name", stream).put("group_id", group).put("item_id", item);
  }

  /** The backend's answer (null: none); its own errors pass through as they are. */
  private JsonNode call(String functionId, ObjectNode input, long timeoutMs) throws StreamStoreException {
    try {
      return bridge.request(functionId, input, timeoutMs);
    } catch (BridgeException e) {
      throw new StreamStoreException(e.getMessage(), e);
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
