package io.linkly.iii.engine.updates;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.Json;
import java.util.List;

/**
 * The wire form of parsed ops, for passing them on to another engine ({@code bridge} adapters).
 * {@link UpdateOpReader} reads back exactly what this writes: a merge or append path goes out as
 * an array of its segments (no array: the root), so a one-segment path arrives as the same literal
 * key, dots and all.
 */
public final class UpdateOpWriter {

  private UpdateOpWriter() {}

  public static ArrayNode write(List<UpdateOp> ops) {
    ArrayNode out = Json.mapper().createArrayNode();
    ops.forEach(op -> out.add(writeOne(op)));
    return out;
  }

  public static ObjectNode writeOne(UpdateOp op) {
    ObjectNode out = Json.object();
    out.put("type", op.name());
    switch (op) {
      case UpdateOp.Set set -> {
        out.put("path", set.path());
        out.set("value", set.value() == null ? Json.mapper().nullNode() : set.value());
      }
      case UpdateOp.Merge merge -> {
        segments(out, merge.path());
        out.set("value", merge.value());
      }
      case UpdateOp.Increment increment -> out.put("path", increment.path()).put("by", increment.by());
      case UpdateOp.Decrement decrement -> out.put("path", decrement.path()).put("by", decrement.by());
      case UpdateOp.Append append -> {
        segments(out, append.path());
        out.set("value", append.value());
      }
      case UpdateOp.Remove remove -> out.put("path", remove.path());
    }
    return out;
  }

  private static void segments(ObjectNode out, List<String> path) {
    if (!path.isEmpty()) {
      ArrayNode segments = out.putArray("path");
      path.forEach(segments::add);
    }
  }
}
