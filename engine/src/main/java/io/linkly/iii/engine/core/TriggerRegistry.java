package io.linkly.iii.engine.core;

import io.linkly.iii.protocol.ErrorBody;
import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.protocol.RegisterTrigger;
import io.linkly.iii.protocol.TriggerRegistrationResult;
import io.linkly.iii.protocol.UnregisterTrigger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trigger types and their bindings (PROTOCOL.md §6). A binding is either <em>live</em> (delivered
 * to its type's current provider) or <em>pending</em> (type absent, provider gone, or provider
 * rejected it); pending bindings activate whenever their type is registered again.
 *
 * <p>All mutations take one lock: they are rare, in-memory, and must see a consistent picture of
 * types and bindings. Sends to remote providers only enqueue frames, so nothing blocks under it.
 */
final class TriggerRegistry {

  private static final Logger log = LoggerFactory.getLogger(TriggerRegistry.class);

  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, TriggerTypeEntry> types = new LinkedHashMap<>();
  private final Map<String, TriggerBinding> live = new LinkedHashMap<>();
  private final Map<String, TriggerBinding> pending = new LinkedHashMap<>();
  private final Function<String, Worker> workers;

  TriggerRegistry(Function<String, Worker> workers) {
    this.workers = workers;
  }

  // ------------------------------------------------------------------ trigger types

  void registerType(TriggerTypeEntry entry) {
    lock.lock();
    try {
      TriggerTypeEntry previous = types.put(entry.id(), entry);
      if (previous != null && previous.owner() != entry.owner()) {
        log.warn("trigger type {} is now provided by worker {}", LogSafe.escape(entry.id()), entry.owner().describe());
      }
      // The new provider takes over every live binding, then every parked one.
      List<TriggerBinding> toDeliver = new ArrayList<>();
      live.values().stream().filter(b -> b.triggerType().equals(entry.id())).forEach(toDeliver::add);
      pending.values().stream().filter(b -> b.triggerType().equals(entry.id())).forEach(toDeliver::add);
      for (TriggerBinding b : toDeliver) {
        pending.remove(b.id());
        live.remove(b.id());
        Optional<String> rejection = deliver(entry, b);
        if (rejection.isPresent()) {
          pending.put(b.id(), b);
          notifyOwner(b, rejection.get());
        } else {
          live.put(b.id(), b);
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Removes a type if {@code owner} still provides it; its live bindings go back to pending. */
  void unregisterType(String typeId, Worker owner) {
    lock.lock();
    try {
      TriggerTypeEntry entry = types.get(typeId);
      if (entry == null || entry.owner() != owner) {
        return;
      }
      types.remove(typeId);
      live.values().removeIf(
          b -> {
            if (b.triggerType().equals(typeId)) {
              pending.put(b.id(), b);
              return true;
            }
            return false;
          });
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ bindings

  /**
   * Records a binding and activates it if its type exists. Returns the provider's rejection, if
   * a built-in provider refused it synchronously; the binding is then not kept.
   */
  Optional<String> registerBinding(TriggerBinding binding) {
    lock.lock();
    try {
      removeBinding(binding.id());
      TriggerTypeEntry type = types.get(binding.triggerType());
      if (type == null) {
        log.warn(
            "trigger type {} is not registered yet; binding {} is parked until it is",
            LogSafe.escape(binding.triggerType()),
            LogSafe.escape(binding.id()));
        pending.put(binding.id(), binding);
        return Optional.empty();
      }
      Optional<String> rejection = deliver(type, binding);
      if (rejection.isEmpty()) {
        live.put(binding.id(), binding);
      }
      return rejection;
    } finally {
      lock.unlock();
    }
  }

  /** A live or parked binding by id. */
  Optional<TriggerBinding> binding(String id) {
    lock.lock();
    try {
      TriggerBinding binding = live.get(id);
      return Optional.ofNullable(binding != null ? binding : pending.get(id));
    } finally {
      lock.unlock();
    }
  }

  /** Removes a live or parked binding by id and tells its provider; idempotent. */
  Optional<TriggerBinding> unregisterBinding(String id) {
    lock.lock();
    try {
      return Optional.ofNullable(removeBinding(id));
    } finally {
      lock.unlock();
    }
  }

  /** A remote provider's verdict on a binding we delivered. */
  void onProviderResult(Worker sender, TriggerRegistrationResult result) {
    if (result.error() == null) {
      return;
    }
    lock.lock();
    try {
      TriggerBinding binding = live.get(result.id());
      TriggerTypeEntry type = binding == null ? null : types.get(binding.triggerType());
      if (type == null || type.owner() != sender) {
        return;
      }
      live.remove(binding.id());
      pending.put(binding.id(), binding);
      notifyOwner(binding, result.error().message());
    } finally {
      lock.unlock();
    }
  }

  /** Disconnect cleanup, PROTOCOL.md §1.8 step 3. */
  void workerGone(Worker worker) {
    lock.lock();
    try {
      for (TriggerBinding b : List.copyOf(live.values())) {
        if (worker.id().equals(b.ownerWorkerId())) {
          removeBinding(b.id());
        }
      }
      pending.values().removeIf(b -> worker.id().equals(b.ownerWorkerId()));
      for (TriggerTypeEntry type : List.copyOf(types.values())) {
        if (type.owner() == worker) {
          unregisterType(type.id(), worker);
        }
      }
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ reading

  List<TriggerTypeEntry> types() {
    lock.lock();
    try {
      return types.values().stream().sorted(Comparator.comparing(TriggerTypeEntry::id)).toList();
    } finally {
      lock.unlock();
    }
  }

  Optional<TriggerTypeEntry> type(String id) {
    lock.lock();
    try {
      return Optional.ofNullable(types.get(id));
    } finally {
      lock.unlock();
    }
  }

  /** Live and parked bindings, sorted by id. */
  List<TriggerBinding> bindings() {
    lock.lock();
    try {
      List<TriggerBinding> all = new ArrayList<>(live.values());
      all.addAll(pending.values());
      all.sort(Comparator.comparing(TriggerBinding::id));
      return all;
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ internals (lock held)

  private TriggerBinding removeBinding(String id) {
    TriggerBinding parked = pending.remove(id);
    if (parked != null) {
      return parked;
    }
    TriggerBinding binding = live.remove(id);
    if (binding == null) {
      return null;
    }
    TriggerTypeEntry type = types.get(binding.triggerType());
    if (type != null) {
      if (type.provider() != null) {
        type.provider().unregister(binding);
      } else if (!type.owner().isGone()) {
        type.owner().connection().send(new UnregisterTrigger(binding.id(), binding.triggerType()));
      }
    }
    return binding;
  }

  private Optional<String> deliver(TriggerTypeEntry type, TriggerBinding binding) {
    if (type.provider() != null) {
      try {
        type.provider().register(binding);
        return Optional.empty();
      } catch (TriggerProvider.TriggerRejectedException e) {
        return Optional.of(e.getMessage());
      } catch (RuntimeException e) {
        log.warn("trigger provider {} failed on binding {}", LogSafe.escape(type.id()), LogSafe.escape(binding.id()), e);
        return Optional.of(String.valueOf(e.getMessage()));
      }
    }
    type.owner()
        .connection()
        .send(
            new RegisterTrigger(
                binding.id(),
                binding.triggerType(),
                binding.functionId(),
                binding.config(),
                binding.metadata()));
    return Optional.empty();
  }

  private void notifyOwner(TriggerBinding binding, String message) {
    Worker owner = binding.ownerWorkerId() == null ? null : workers.apply(binding.ownerWorkerId());
    if (owner == null || owner.isGone() || owner.isBuiltin()) {
      log.warn("trigger {} ({}) was rejected: {}", LogSafe.escape(binding.id()), LogSafe.escape(binding.triggerType()), LogSafe.escape(message));
      return;
    }
    owner
        .connection()
        .send(
            new TriggerRegistrationResult(
                binding.id(),
                binding.triggerType(),
                binding.functionId(),
                new ErrorBody(ErrorCodes.TRIGGER_REGISTRATION_FAILED, message)));
  }
}
