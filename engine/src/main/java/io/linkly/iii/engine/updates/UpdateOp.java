package io.linkly.iii.engine.updates;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One operation of the update language shared by {@code state::update} and {@code stream::update}
 * (BUILTINS.md §3). Paths are literal keys: a string path is one segment and dots are never
 * separators. {@code set}, {@code increment}, {@code decrement} and {@code remove} act on one
 * top-level field ({@code ""} = the root); {@code merge} and {@code append} take a list of segments
 * (empty = the root).
 */
public sealed interface UpdateOp {

  /** The op's wire name, which also prefixes its error codes. */
  String name();

  /** Replaces the root ({@code path ""}) or sets one top-level field; a missing value is null. */
  record Set(String path, JsonNode value) implements UpdateOp {
    @Override
    public String name() {
      return "set";
    }
  }

  /** Shallow-merges an object into the root or into a nested object created along the path. */
  record Merge(List<String> path, JsonNode value) implements UpdateOp {
    public Merge {
      path = List.copyOf(path);
    }

    @Override
    public String name() {
      return "merge";
    }
  }

  record Increment(String path, long by) implements UpdateOp {
    @Override
    public String name() {
      return "increment";
    }
  }

  record Decrement(String path, long by) implements UpdateOp {
    @Override
    public String name() {
      return "decrement";
    }
  }

  /** Pushes onto an array or concatenates onto a string, at the root or along the path. */
  record Append(List<String> path, JsonNode value) implements UpdateOp {
    public Append {
      path = List.copyOf(path);
    }

    @Override
    public String name() {
      return "append";
    }
  }

  /** Removes one top-level field, or clears the root to null ({@code path ""}). */
  record Remove(String path) implements UpdateOp {
    @Override
    public String name() {
      return "remove";
    }
  }
}
