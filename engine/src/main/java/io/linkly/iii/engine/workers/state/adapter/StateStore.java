package io.linkly.iii.engine.workers.state.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.updates.UpdateError;
import io.linkly.iii.engine.updates.UpdateOp;
import java.util.List;

/**
 * The one interface {@code iii-state} needs from a backend: scopes of keys. Every operation on one
 * key is atomic: concurrent writers of the same key never lose an update, also when the store is
 * shared by several engines.
 *
 * <p>A missing key is Java {@code null}; a stored JSON null is a {@code NullNode}. Stored trees are
 * shared, never copied on read: callers must not mutate what they get back.
 */
public interface StateStore extends AutoCloseable {

  /** {@code oldValue} is null when the key did not exist. */
  record SetResult(JsonNode oldValue, JsonNode newValue) {}

  /** {@code oldValue} is null when the key did not exist; {@code errors} lists the ops that failed. */
  record UpdateResult(JsonNode oldValue, JsonNode newValue, List<UpdateError> errors) {
    public UpdateResult {
      errors = List.copyOf(errors);
    }
  }

  JsonNode get(String scope, String key) throws StateStoreException;

  SetResult set(String scope, String key, JsonNode value) throws StateStoreException;

  /** Read-modify-write under the key's lock; the result is written back even if every op failed. */
  UpdateResult update(String scope, String key, List<UpdateOp> ops) throws StateStoreException;

  /** Removes the key; returns the value it held, or null when it did not exist. */
  JsonNode delete(String scope, String key) throws StateStoreException;

  /**
   * The scope's values, empty for an unknown scope. {@code kv} keeps first-insertion order;
   * {@code redis} gives Redis' hash order, as upstream's does.
   */
  List<JsonNode> list(String scope) throws StateStoreException;

  /**
   * The scopes, in no particular order. {@code kv} lists every scope written since start, also
   * the ones emptied since; {@code redis} only scopes that hold a key, as upstream's.
   */
  List<String> listGroups() throws StateStoreException;

  /** True when writes may block the calling thread (disk, network), so they must not run on an event loop. */
  boolean writesBlock();

  /** True when reads may block the calling thread (network), so they must not run on an event loop. */
  default boolean readsBlock() {
    return false;
  }

  /** The store's health for {@code engine::health::check}. */
  default Health health() {
    return Health.ok();
  }

  @Override
  void close();
}
