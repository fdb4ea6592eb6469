package io.linkly.iii.engine.workers.state.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * The in-memory picture both stores keep: scope → (key → value) in first-insertion order. An
 * overwrite keeps the key's position and a removal keeps everyone else's, as upstream's kv does.
 * Each scope has its own lock; critical sections only touch memory.
 */
final class StateTable {

  private static final class Scope {
    final ReentrantLock lock = new ReentrantLock();
    final LinkedHashMap<String, JsonNode> entries = new LinkedHashMap<>();
  }

  private final Map<String, Scope> scopes = new ConcurrentHashMap<>();

  JsonNode get(String scope, String key) {
    Scope s = scopes.get(scope);
    if (s == null) {
      return null;
    }
    s.lock.lock();
    try {
      return s.entries.get(key);
    } finally {
      s.lock.unlock();
    }
  }

  /** Stores {@code value}; returns the previous value or null. */
  JsonNode put(String scope, String key, JsonNode value) {
    Scope s = scopes.computeIfAbsent(scope, k -> new Scope());
    s.lock.lock();
    try {
      return s.entries.put(key, value);
    } finally {
      s.lock.unlock();
    }
  }

  /** Removes the key; returns the value it held or null. An emptied scope stays listed. */
  JsonNode remove(String scope, String key) {
    Scope s = scopes.get(scope);
    if (s == null) {
      return null;
    }
    s.lock.lock();
    try {
      return s.entries.remove(key);
    } finally {
      s.lock.unlock();
    }
  }

  /**
   * Replaces the key's value with {@code change.apply(current)} atomically within the scope
   * ({@code current} is null for a missing key) and returns the previous value.
   */
  JsonNode compute(String scope, String key, UnaryOperator<JsonNode> change) {
    Scope s = scopes.computeIfAbsent(scope, k -> new Scope());
    s.lock.lock();
    try {
      JsonNode previous = s.entries.get(key);
      s.entries.put(key, change.apply(previous));
      return previous;
    } finally {
      s.lock.unlock();
    }
  }

  List<JsonNode> values(String scope) {
    Scope s = scopes.get(scope);
    if (s == null) {
      return List.of();
    }
    s.lock.lock();
    try {
      return new ArrayList<>(s.entries.values());
    } finally {
      s.lock.unlock();
    }
  }

  /** Removes the first-inserted keys of {@code scope} until at most {@code keep} are left. */
  void removeOldest(String scope, int keep) {
    Scope s = scopes.get(scope);
    if (s == null) {
      return;
    }
    s.lock.lock();
    try {
      var keys = s.entries.keySet().iterator();
      for (int excess = s.entries.size() - keep; excess > 0; excess--) {
        keys.next();
        keys.remove();
      }
    } finally {
      s.lock.unlock();
    }
  }

  List<String> scopeNames() {
    return new ArrayList<>(scopes.keySet());
  }

  /**
   * A point-in-time copy of every non-empty scope, entries in order. Values are shared: stored
   * trees are never mutated, so a shallow copy is a true snapshot.
   */
  Map<String, List<Map.Entry<String, JsonNode>>> copy() {
    Map<String, List<Map.Entry<String, JsonNode>>> out = new LinkedHashMap<>();
    for (Map.Entry<String, Scope> scope : scopes.entrySet()) {
      Scope s = scope.getValue();
      s.lock.lock();
      try {
        if (!s.entries.isEmpty()) {
          List<Map.Entry<String, JsonNode>> entries = new ArrayList<>(s.entries.size());
          for (Map.Entry<String, JsonNode> e : s.entries.entrySet()) {
            entries.add(Map.entry(e.getKey(), e.getValue()));
          }
          out.put(scope.getKey(), entries);
        }
      } finally {
        s.lock.unlock();
      }
    }
    return out;
  }

  /** Forgets scopes without keys; after recovery emptied scopes are not listed, as upstream. */
  void dropEmptyScopes() {
    scopes.values().removeIf(s -> {
      s.lock.lock();
      try {
        return s.entries.isEmpty();
      } finally {
        s.lock.unlock();
      }
    });
  }
}
