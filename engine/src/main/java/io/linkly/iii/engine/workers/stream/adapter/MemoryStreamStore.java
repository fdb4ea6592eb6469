package io.linkly.iii.engine.workers.stream.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Streams in memory (the embedded default). Group maps are only touched under the worker's group
 * lock; the outer maps are concurrent so listings need no lock.
 */
public final class MemoryStreamStore implements StreamStore {

  private final Map<String, Map<String, Map<String, JsonNode>>> streams = new ConcurrentHashMap<>();

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
  public Write put(String stream, String group, String item, JsonNode value) {
    return Write.done(group(stream, group, true).put(item, value));
  }

  @Override
  public Write remove(String stream, String group, String item) {
    Map<String, JsonNode> items = group(stream, group, false);
    return Write.done(items == null ? null : items.remove(item));
  }

  @Override
  public void close() {}
}
