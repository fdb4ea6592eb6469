package io.linkly.iii.engine.workers.stream.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.TraceContext;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.updates.UpdateOp;
import io.linkly.iii.engine.workers.state.adapter.FileStateStore;
import io.linkly.iii.engine.workers.state.adapter.StateStore;
import io.linkly.iii.engine.workers.state.adapter.StateStoreException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.function.ToIntBiFunction;

/**
 * {@code kv} with {@code store_method: file_based}: the state worker's journaled store, one scope
 * per stream group. A write is on disk before it is acknowledged and before subscribers see it;
 * the store's commit hook hands changes to the worker in journal order.
 */
public final class FileStreamStore implements StreamStore {

  private static final char SEPARATOR = '\u0000';

  private final FileStateStore store;

  private FileStreamStore(FileStateStore store) {
    this.store = store;
  }

  /**
   * Opens the store; {@code maxItems} gives each group's retention bound (0: none). Expiry writes
   * nothing: at every recovery the bounded groups are cut back to their newest items again, which
   * after a replay in journal order gives back the same window.
   */
  public static FileStreamStore open(Path dir, Executor executor, Commits commits, ToIntBiFunction<String, String> maxItems)
      throws StreamStoreException {
    FileStateStore.CommitHook hook =
        (scope, key, previous, value, origin, apply) -> {
          int cut = scope.indexOf(SEPARATOR);
          commits.commit(scope.substring(0, cut), scope.substring(cut + 1), key, origin, () -> {
            apply.run();
            return new Change(previous, value);
          });
        };
    FileStateStore store;
    try {
      store = FileStateStore.open(dir, FileStateStore.Options.defaults(5000), executor, hook);
    } catch (StateStoreException e) {
      throw new StreamStoreException(e.getMessage(), e);
    }
    for (String scope : store.listGroups()) {
      int cut = scope.indexOf(SEPARATOR);
      int keep = maxItems.applyAsInt(scope.substring(0, cut), scope.substring(cut + 1));
      if (keep > 0) {
        store.evictOldest(scope, keep);
      }
    }
    return new FileStreamStore(store);
  }

  private static String scope(String stream, String group) {
    return stream + SEPARATOR + group;
  }

  @Override
  public JsonNode get(String stream, String group, String item) {
    return store.get(scope(stream, group), item);
  }

  @Override
  public List<JsonNode> list(String stream, String group) {
    return store.list(scope(stream, group));
  }

  @Override
  public List<String> groups(String stream) {
    List<String> out = new ArrayList<>();
    String prefix = stream + SEPARATOR;
    for (String scope : store.listGroups()) {
      if (scope.startsWith(prefix)) {
        out.add(scope.substring(prefix.length()));
      }
    }
    return out;
  }

  @Override
  public Map<String, List<String>> streams() {
    Map<String, List<String>> out = new TreeMap<>();
    for (String scope : store.listGroups()) {
      int cut = scope.indexOf(SEPARATOR);
      out.computeIfAbsent(scope.substring(0, cut), s -> new ArrayList<>()).add(scope.substring(cut + 1));
    }
    out.values().forEach(groups -> groups.sort(null));
    return out;
  }

  @Override
  public JsonNode put(String stream, String group, String item, JsonNode value, TraceContext origin) throws StreamStoreException {
    try {
      return store.set(scope(stream, group), item, value, origin).oldValue();
    } catch (StateStoreException e) {
      throw new StreamStoreException(e.getMessage(), e);
    }
  }

  @Override
  public JsonNode remove(String stream, String group, String item, TraceContext origin) throws StreamStoreException {
    try {
      return store.delete(scope(stream, group), item, origin);
    } catch (StateStoreException e) {
      throw new StreamStoreException(e.getMessage(), e);
    }
  }

  @Override
  public Updated update(String stream, String group, String item, List<UpdateOp> ops, TraceContext origin) throws StreamStoreException {
    try {
      StateStore.UpdateResult result = store.update(scope(stream, group), item, ops, origin);
      return new Updated(new Change(result.oldValue(), result.newValue()), result.errors());
    } catch (StateStoreException e) {
      throw new StreamStoreException(e.getMessage(), e);
    }
  }

  /** Writes nothing: every recovery cuts the group back the same way (see {@link #open}). */
  @Override
  public void expireOldest(String stream, String group, int keep) {
    store.evictOldest(scope(stream, group), keep);
  }

  @Override
  public Health health() {
    return store.health();
  }

  @Override
  public boolean writesBlock() {
    return true;
  }

  @Override
  public void close() {
    store.close();
  }
}
