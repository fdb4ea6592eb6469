package io.linkly.iii.engine.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The flat function namespace. Each id has an ownership stack: a second worker registering an id
 * takes it over, and when it unregisters or leaves, the previous owner serves again (upstream
 * simply loses the id, #1796/#2084). Ids owned by a built-in, or in a namespace reserved for
 * built-ins, cannot be registered by a worker at all.
 *
 * <p>Lookups read one immutable stack and cost one map read; changes replace the stack atomically.
 */
final class FunctionTable {

  /** How a registration went. */
  enum Outcome {
    ADDED,
    /** The id had another owner, which now waits below the new one. */
    TOOK_OVER,
    /** The id belongs to a built-in; nothing changed. */
    REFUSED
  }

  /** Owners of one id, the current one last. Never empty. */
  private record Owners(List<FunctionEntry> stack) {
    FunctionEntry top() {
      return stack.get(stack.size() - 1);
    }
  }

  private final ConcurrentHashMap<String, Owners> table = new ConcurrentHashMap<>();
  private final Predicate<String> reservedForBuiltins;

  FunctionTable(Predicate<String> reservedForBuiltins) {
    this.reservedForBuiltins = reservedForBuiltins;
  }

  FunctionEntry get(String id) {
    Owners owners = table.get(id);
    return owners == null ? null : owners.top();
  }

  /** Puts {@code entry} on top of its id's stack; an owner's earlier entry for the id is replaced. */
  Outcome register(FunctionEntry entry) {
    // Who owns the id decides, not who executes it: a worker's HTTP-invoked function runs in the
    // engine, yet follows a worker's rules.
    boolean fromWorker = !entry.owner().isBuiltin();
    if (fromWorker && reservedForBuiltins.test(entry.id())) {
      return Outcome.REFUSED;
    }
    Outcome[] outcome = {Outcome.ADDED};
    table.compute(
        entry.id(),
        (id, owners) -> {
          if (owners == null) {
            return new Owners(List.of(entry));
          }
          if (fromWorker && owners.top().owner().isBuiltin()) {
            outcome[0] = Outcome.REFUSED;
            return owners;
          }
          List<FunctionEntry> stack = new ArrayList<>(owners.stack().size() + 1);
          for (FunctionEntry e : owners.stack()) {
            if (e.owner() != entry.owner()) {
              stack.add(e);
            }
          }
          if (!stack.isEmpty()) {
            outcome[0] = Outcome.TOOK_OVER;
          }
          stack.add(entry);
          return new Owners(List.copyOf(stack));
        });
    return outcome[0];
  }

  /** Withdraws {@code owner}'s entry for {@code id}; the owner below it, if any, serves again. */
  void unregister(String id, Worker owner) {
    table.computeIfPresent(
        id,
        (key, owners) -> {
          List<FunctionEntry> stack = new ArrayList<>(owners.stack());
          stack.removeIf(e -> e.owner() == owner);
          return stack.isEmpty() ? null : new Owners(List.copyOf(stack));
        });
  }

  /** The current owner's entry of every id. */
  Collection<FunctionEntry> current() {
    List<FunctionEntry> out = new ArrayList<>(table.size());
    table.values().forEach(o -> out.add(o.top()));
    return out;
  }
}
