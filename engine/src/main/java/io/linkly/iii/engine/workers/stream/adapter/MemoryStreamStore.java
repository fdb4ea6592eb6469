package io.linkly.iii.engine.workers.stream.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.TraceContext;
import io.linkly.iii.engine.updates.UpdateError;
import io.linkly.iii.engine.updates.UpdateOp;
import io.linkly.iii.engine.updates.UpdateOps;
import io.linkly.iii.engine.updates.UpdateOutcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Streams in memory (the embedded default). A group's map is only touched inside the worker's
 * commit (which holds the group's lock) or by reads under that same lock; the outer maps are
 * concurrent so listings need no lock.
 */
public final class MemoryStreamStore implements StreamStore {

  private final Commits commits;
  private final Map<String, Map<String, Map<String, JsonNode>>> streams = new ConcurrentHashMap<>();

  public MemoryStreamStore(Commits commits) {
    this.commits = commits;
  }

  private Map<String, JsonNode> group(String stream, String group, boolean create) {
    Map<String, Map<String, JsonNode>> groups =
        create ? streams.computeIfAbsent(stream, s -> new ConcurrentHashMap<>()) : streams.get(stream);
    if (groups == null) {
      return null;
    }
    return create ? groups.computeIfAbsent(group, g -> new LinkedHashMap<>()) : groups.get(group);
  }

  @Override
  public JsonNode get(String stream, String group, String item) {
    Map<String, JsonNode> items = group(stream, group, false);
    return items == null ? null : items.get(item);
  }

  @Override
  public List<JsonNode> list(String stream, String group) {
    Map<String, JsonNode> items = group(stream, group, false);
    return items == null ? List.of() : new ArrayList<>(items.values());
  }

  @Override
  public List<String> groups(String stream) {
    Map<String, Map<String, JsonNode>> groups = streams.get(stream);
    return groups == null ? List.of() : List.copyOf(groups.keySet());
  }

  @Override
  public Map<String, List<String>> streams() {
    Map<String, List<String>> out = new TreeMap<>();
    streams.forEach((name, groups) -> out.put(name, groups.keySet().stream().sorted().toList()));
    return out;
  }

  @Override
  public JsonNode put(String stream, String group, String item, JsonNode value, TraceContext origin) {
    return commits.commit(stream, group, item, origin, () -> new Change(group(stream, group, true).put(item, value), value)).previous();
  }

  @Override
  public JsonNode remove(String stream, String group, String item, TraceContext origin) {
    return commits.commit(stream, group, item, origin, () -> {
      Map<String, JsonNode> items = group(stream, group, false);
      return new Change(items == null ? null : items.remove(item), null);
    }).previous();
  }

  @Override
  public Updated update(String stream, String group, String item, List<UpdateOp> ops, TraceContext origin) {
    List<UpdateError> errors = new ArrayList<>();
    Change change =
        commits.commit(stream, group, item, origin, () -> {
          Map<String, JsonNode> items = group(stream, group, true);
          JsonNode previous = items.get(item);
          UpdateOutcome outcome = UpdateOps.apply(previous, ops);
          errors.addAll(outcome.errors());
          items.put(item, outcome.newValue());
          return new Change(previous, outcome.newValue());
        });
    return new Updated(change, errors);
  }

  /** The worker calls this under the group's lock, as every other touch of a group's map. */
  @Override
  public void expireOldest(String stream, String group, int keep) {
    Map<String, JsonNode> items = group(stream, group, false);
    if (items == null) {
      return;
    }
    var keys = items.keySet().iterator();
    for (int excess = items.size() - keep; excess > 0; excess--) {
      keys.next();
      keys.remove();
    }
  }

  @Override
  public boolean writesBlock() {
    return false;
  }

  @Override
  public void close() {}
}
